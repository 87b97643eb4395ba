{{ config(materialized='view') }}

select *
from {{ ref('basket_lines') }}
where department = 'DAIRY'
