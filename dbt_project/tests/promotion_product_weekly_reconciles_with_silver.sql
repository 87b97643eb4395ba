{#- Promoted plus non-promoted sales per week equal silver transactions for the same week. -#}
{{ config(meta={'dagster': {'ref': {'name': 'promotion_product_weekly'}}}) }}
with silver_weeks as (
    select week, sum(sales_value) as silver_sales_value
    from {{ ref('stg_silver__transactions') }}
    group by week
),

mart_weeks as (
    select week, sum(promoted_sales_value + non_promoted_sales_value) as mart_sales_value
    from {{ ref('promotion_product_weekly') }}
    group by week
)

select *
from silver_weeks
full outer join mart_weeks on silver_weeks.week = mart_weeks.week
where silver_sales_value != mart_sales_value
