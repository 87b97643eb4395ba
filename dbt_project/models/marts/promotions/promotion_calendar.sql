{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        on_schema_change='append_new_columns',
        partition_by='week',
        order_by='(product_id, store_id)',
    )
}}

with promotions as (
    select * from {{ ref('stg_silver__promotions') }}
    where {{ weeks_to_build() }}
),

stores as (
    select * from {{ ref('dim_stores') }}
),

placed as (
    select
        promotions.week as week,
        promotions.product_id as product_id,
        promotions.store_id as store_id,
        stores.retailer_id as retailer_id,
        promotions.display_location as display_location,
        promotions.mailer_location as mailer_location
    from promotions
    left join stores on promotions.store_id = stores.store_id
)

select
    week,
    {{ week_start_date('week') }} as week_start_date,
    product_id,
    store_id,
    retailer_id,
    display_location,
    {{ display_placement('display_location') }} as display_placement,
    mailer_location,
    {{ mailer_placement('mailer_location') }} as mailer_placement,
    toBool(display_location != '0') as is_on_display,
    toBool(mailer_location != '0') as is_in_mailer
from placed
