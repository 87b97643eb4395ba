{{ config(order_by='(product_id, week)') }}

with product_store_weeks as (
    select * from {{ ref('int_product_store_weeks_joined') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

summed_by_product_week as (
    select
        product_id,
        week,
        sumIf(sales_value, is_promoted) as promoted_sales_value,
        sumIf(sales_value, not is_promoted) as non_promoted_sales_value,
        sumIf(item_units, is_promoted) as promoted_item_units,
        sumIf(item_units, not is_promoted) as non_promoted_item_units,
        sumIf(fuel_quantity, is_promoted) as promoted_fuel_quantity,
        sumIf(fuel_quantity, not is_promoted) as non_promoted_fuel_quantity,
        countIf(is_promoted) as stores_promoting,
        countIf(lines > 0) as stores_selling,
        sum(retail_discount) as week_retail_discount,
        sum(coupon_discount) as week_coupon_discount,
        sum(coupon_match_discount) as week_coupon_match_discount,
        sum(sales_value) as week_sales_value
    from product_store_weeks
    group by product_id, week
)

select
    summed_by_product_week.product_id as product_id,
    summed_by_product_week.week as week,
    {{ week_start_date('summed_by_product_week.week') }} as week_start_date,
    products.department as department,
    products.product_category as product_category,
    products.brand_type as brand_type,
    promoted_sales_value,
    non_promoted_sales_value,
    promoted_item_units,
    non_promoted_item_units,
    promoted_fuel_quantity,
    non_promoted_fuel_quantity,
    stores_promoting,
    stores_selling,
    week_retail_discount as retail_discount,
    week_coupon_discount as coupon_discount,
    week_coupon_match_discount as coupon_match_discount,
    {{ ratio(
        'week_retail_discount + week_coupon_discount + week_coupon_match_discount',
        'week_sales_value + week_retail_discount + week_coupon_discount + week_coupon_match_discount'
    ) }} as discount_depth
from summed_by_product_week
left join products on summed_by_product_week.product_id = products.product_id
