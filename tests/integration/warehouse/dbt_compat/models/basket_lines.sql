{{ config(materialized='table', order_by='(basket_id, line_no)', engine='MergeTree()') }}

select
    intDiv(number, 3) + 1 as basket_id,
    number % 3 + 1 as line_no,
    ['DAIRY', 'PRODUCE', 'FUEL'][number % 3 + 1] as department,
    round(1.25 * (number + 1), 2) as sales_value
from numbers(30)
