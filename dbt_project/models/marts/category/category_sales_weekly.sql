{{
    config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        on_schema_change='append_new_columns',
        partition_by='week',
        order_by='(retailer_id, department, product_category, product_type, brand_type, store_id)',
    )
}}

{#-
  A week already built whose lines have since moved between products' departments, categories or types
  (fct_sales_lines restates a week when a product's attributes change) is built again. Each side sums, per
  week, a hash of the grouping keys once per line: equal sums mean the same lines under the same keys.
-#}
{% set weeks_whose_lines_moved %}
    select week
    from {{ ref('fct_sales_lines') }}
    group by week
    having (week, sum(cityHash64(retailer_id, store_id, department, product_category, product_type, brand_type)))
        not in (
            select
                week,
                sum(cityHash64(retailer_id, store_id, department, product_category, product_type, brand_type) * lines)
            from {{ this }}
            group by week
        )
{% endset %}

with sales_lines as (
    select
        week,
        retailer_id,
        store_id,
        department,
        product_category,
        product_type,
        brand_type,
        household_id,
        basket_id,
        item_units as line_item_units,
        fuel_quantity as line_fuel_quantity,
        sales_value as line_sales_value,
        retail_discount + coupon_discount + coupon_match_discount as line_discount_value
    from {{ ref('fct_sales_lines') }}
    where {{ weeks_to_build(restated=weeks_whose_lines_moved) }}
),

summed_by_store_and_product_type as (
    select
        week,
        retailer_id,
        store_id,
        department,
        product_category,
        product_type,
        brand_type,
        sum(line_sales_value) as sales_value,
        sum(line_discount_value) as discount_value,
        sum(line_item_units) as item_units,
        sum(line_fuel_quantity) as fuel_quantity,
        count() as lines,
        uniqExact(basket_id) as baskets,
        uniqExact(household_id) as households
    from sales_lines
    group by week, retailer_id, store_id, department, product_category, product_type, brand_type
)

select
    week,
    {{ week_start_date('week') }} as week_start_date,
    retailer_id,
    store_id,
    department,
    product_category,
    product_type,
    brand_type,
    sales_value,
    discount_value,
    item_units,
    fuel_quantity,
    lines,
    baskets,
    households,
    {{ ratio('sales_value', 'sum(sales_value) over (partition by week, store_id, department, product_category)') }}
        as share_of_category
from summed_by_store_and_product_type
