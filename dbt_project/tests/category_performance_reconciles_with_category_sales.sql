{#- The retailer-category view sums to the same sales per week and retailer as the store-level mart. -#}
{{ config(meta={'dagster': {'ref': {'name': 'category_performance_weekly'}}}) }}
with by_store as (
    select week, retailer_id, sum(sales_value) as store_level_sales_value
    from {{ ref('category_sales_weekly') }}
    group by week, retailer_id
),

by_category as (
    select week, retailer_id, sum(sales_value) as category_level_sales_value
    from {{ ref('category_performance_weekly') }}
    group by week, retailer_id
)

select *
from by_store
full outer join by_category
    on by_store.week = by_category.week
    and by_store.retailer_id = by_category.retailer_id
where store_level_sales_value != category_level_sales_value
