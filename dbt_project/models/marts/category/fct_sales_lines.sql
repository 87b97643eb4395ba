{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        on_schema_change='append_new_columns',
        partition_by='week',
        order_by='(store_id, product_id, basket_id)',
    )
}}

{#-
  Product attributes are type 1: a week already built whose lines carry attributes dim_products no longer
  holds (a product catalogued since, or one whose department changed) is built again.
-#}
{% set weeks_with_changed_products %}
    select built.week
    from {{ this }} as built
    inner join {{ ref('dim_products') }} as products on built.product_id = products.product_id
    where (built.department, built.product_category, built.product_type, built.brand_type, built.unit_measure)
        != (products.department, products.product_category, products.product_type, products.brand_type,
            products.unit_measure)
{% endset %}

with transactions as (
    select * from {{ ref('stg_silver__transactions') }}
    where {{ weeks_to_build(restated=weeks_with_changed_products) }}
),

products as (
    select * from {{ ref('dim_products') }}
),

stores as (
    select * from {{ ref('dim_stores') }}
),

lines_with_products_and_stores as (
    select
        transactions.week as week,
        transactions.transaction_at as transaction_at,
        transactions.household_id as household_id,
        transactions.basket_id as basket_id,
        transactions.store_id as store_id,
        stores.retailer_id as retailer_id,
        transactions.product_id as product_id,
        products.department as department,
        products.product_category as product_category,
        products.product_type as product_type,
        products.brand_type as brand_type,
        products.unit_measure as unit_measure,
        if(products.is_fuel, 0, transactions.quantity) as item_units,
        if(products.is_fuel, transactions.quantity, 0) as fuel_quantity,
        transactions.sales_value as sales_value,
        transactions.retail_discount as retail_discount,
        transactions.coupon_discount as coupon_discount,
        transactions.coupon_match_discount as coupon_match_discount
    from transactions
    left join products on transactions.product_id = products.product_id
    left join stores on transactions.store_id = stores.store_id
)

select
    week,
    {{ week_start_date('week') }} as week_start_date,
    transaction_at,
    household_id,
    basket_id,
    store_id,
    retailer_id,
    product_id,
    department,
    product_category,
    product_type,
    brand_type,
    unit_measure,
    item_units,
    fuel_quantity,
    sales_value,
    retail_discount,
    coupon_discount,
    coupon_match_discount
from lines_with_products_and_stores
