{{ config(order_by='store_id') }}

with stores as (
    select * from {{ ref('stg_silver__stores') }}
)

select
    store_id,
    retailer_id,
    retailer_name,
    country
from stores
