{{ config(materialized='incremental', unique_key='basket_id', order_by='basket_id', engine='MergeTree()') }}

select *
from {{ ref('basket_totals_ephemeral') }}
{% if is_incremental() %}
where basket_id > (select max(basket_id) from {{ this }})
{% endif %}
