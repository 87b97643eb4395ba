{{ config(order_by='(department, product_category, week)') }}

{#-
  Sales growth of each category across all retailers together. category_performance_weekly's growth is per
  retailer, and ratios do not add: here the sales are summed over retailers first and the ratios taken after
  (macros/growth.sql).
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
        {{ sales_of_earlier_weeks('department, product_category') }}
    from summed_over_retailers
)

select
    week,
    {{ week_start_date('week') }} as week_start_date,
    department,
    product_category,
    sales_value,
    sales_value_previous_week,
    sales_value_last_4_weeks,
    sales_value_prior_4_weeks,
    sales_value_year_ago,
    {{ sales_growth() }}
from with_earlier_weeks
