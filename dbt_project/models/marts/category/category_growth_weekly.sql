{{ config(order_by='(department, product_category, week)') }}

{#-
  Sales growth of each category across all retailers together. category_performance_weekly's growth is per
  retailer, and ratios do not add: here the sales are summed over retailers first and the ratios taken after.
-#}

with summed_over_retailers as (
    select
        week,
        department,
        product_category,
        sum(sales_value) as sales_value
    from {{ ref('category_sales_weekly') }}
    group by week, department, product_category
),

with_earlier_weeks as (
    select
        *,
        sum(sales_value) over (
            partition by department, product_category order by week
            range between 1 preceding and 1 preceding
        ) as sales_value_previous_week,
        sum(sales_value) over (
            partition by department, product_category order by week
            range between 3 preceding and current row
        ) as sales_value_last_4_weeks,
        sum(sales_value) over (
            partition by department, product_category order by week
            range between 7 preceding and 4 preceding
        ) as sales_value_prior_4_weeks,
        sum(sales_value) over (
            partition by department, product_category order by week
            range between 52 preceding and 52 preceding
        ) as sales_value_year_ago
    from summed_over_retailers
)

select
    week,
    {{ week_start_date('week') }} as week_start_date,
    department,
    product_category,
    sales_value,
    sales_value_previous_week,
    sales_value / nullIf(sales_value_previous_week, 0) - 1 as sales_growth_vs_previous_week,
    sales_value_last_4_weeks,
    sales_value_prior_4_weeks,
    if(week >= 8, sales_value_last_4_weeks / nullIf(sales_value_prior_4_weeks, 0) - 1, null)
        as sales_growth_last_4_weeks_vs_prior_4_weeks,
    sales_value_year_ago,
    sales_value / nullIf(sales_value_year_ago, 0) - 1 as sales_growth_vs_year_ago
from with_earlier_weeks
