{{ config(materialized='table', engine='MergeTree()', order_by='(product_id, store_id, week)') }}

{#-
  One row per product, store and week in which the product sold in that store or was promoted there,
  for the product-store pairs that sold at least once. Shared by the promotion marts.
-#}

with sales_lines as (
    select * from {{ ref('fct_sales_lines') }}
),

sold_by_product_store_week as (
    select
        product_id,
        store_id,
        week,
        any(retailer_id) as sold_retailer_id,
        sum(sales_value) as sold_sales_value,
        sum(item_units) as sold_item_units,
        sum(fuel_quantity) as sold_fuel_quantity,
        sum(retail_discount) as sold_retail_discount,
        sum(coupon_discount) as sold_coupon_discount,
        sum(coupon_match_discount) as sold_coupon_match_discount,
        count() as sold_lines
    from sales_lines
    group by product_id, store_id, week
),

promoted_for_pairs_that_sold as (
    select
        product_id,
        store_id,
        week,
        retailer_id as promoted_retailer_id,
        is_on_display,
        is_in_mailer
    from {{ ref('promotion_calendar') }}
    where (product_id, store_id) in (select product_id, store_id from sold_by_product_store_week)
        and (is_on_display or is_in_mailer)
),

joined as (
    select
        if(sold.product_id != 0, sold.product_id, promoted.product_id) as product_id,
        if(sold.product_id != 0, sold.store_id, promoted.store_id) as store_id,
        if(sold.product_id != 0, sold.week, promoted.week) as week,
        if(sold.product_id != 0, sold.sold_retailer_id, promoted.promoted_retailer_id) as retailer_id,
        sold.sold_sales_value as sales_value,
        sold.sold_item_units as item_units,
        sold.sold_fuel_quantity as fuel_quantity,
        sold.sold_retail_discount as retail_discount,
        sold.sold_coupon_discount as coupon_discount,
        sold.sold_coupon_match_discount as coupon_match_discount,
        sold.sold_lines as lines,
        toBool(promoted.product_id != 0 and promoted.is_on_display) as is_on_display,
        toBool(promoted.product_id != 0 and promoted.is_in_mailer) as is_in_mailer
    from sold_by_product_store_week as sold
    full outer join promoted_for_pairs_that_sold as promoted
        on sold.product_id = promoted.product_id
        and sold.store_id = promoted.store_id
        and sold.week = promoted.week
)

select
    product_id,
    store_id,
    week,
    retailer_id,
    sales_value,
    item_units,
    fuel_quantity,
    retail_discount,
    coupon_discount,
    coupon_match_discount,
    lines,
    is_on_display,
    is_in_mailer,
    toBool(is_on_display or is_in_mailer) as is_promoted
from joined
