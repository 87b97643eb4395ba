{{ config(materialized='ephemeral') }}

select
    basket_id,
    count() as lines,
    sum(sales_value) as basket_value
from {{ ref('basket_lines') }}
group by basket_id
