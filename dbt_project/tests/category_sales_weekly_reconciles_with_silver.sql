{#- Every week's sales and quantity in the category mart equal silver transactions for the same week. -#}
{{ config(meta={'dagster': {'ref': {'name': 'category_sales_weekly'}}}) }}
with silver_weeks as (
    select
        week,
        sum(sales_value) as silver_sales_value,
        sum(quantity) as silver_quantity
    from {{ ref('stg_silver__transactions') }}
    group by week
),

mart_weeks as (
    select
        week,
        sum(sales_value) as mart_sales_value,
        sum(item_units + fuel_quantity) as mart_quantity
    from {{ ref('category_sales_weekly') }}
    group by week
)

select
    silver_weeks.week as week,
    silver_sales_value,
    mart_sales_value,
    silver_quantity,
    mart_quantity
from silver_weeks
full outer join mart_weeks on silver_weeks.week = mart_weeks.week
where silver_sales_value != mart_sales_value
    or silver_quantity != mart_quantity
