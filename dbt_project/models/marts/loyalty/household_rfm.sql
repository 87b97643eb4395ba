{{ config(order_by='household_id') }}

{#-
  Recency, frequency and monetary value per household over the whole data, scored 1 (lowest) to 5
  (highest) by quintile, and the segment those scores put the household in.
-#}

with sales_lines as (
    select * from {{ ref('fct_sales_lines') }}
),

last_week_of_data as (
    select max(week) as last_week from sales_lines
),

per_household as (
    select
        household_id,
        max(week) as last_purchase_week,
        uniqExact(basket_id) as baskets,
        sum(sales_value) as monetary_value
    from sales_lines
    group by household_id
),

scored as (
    select
        household_id,
        last_purchase_week,
        (select last_week from last_week_of_data) - last_purchase_week as recency_weeks,
        baskets as frequency_baskets,
        monetary_value,
        ntile(5) over (order by last_purchase_week asc, household_id asc) as recency_score,
        ntile(5) over (order by baskets asc, household_id asc) as frequency_score,
        ntile(5) over (order by monetary_value asc, household_id asc) as monetary_score
    from per_household
)

select
    household_id,
    last_purchase_week,
    recency_weeks,
    frequency_baskets,
    monetary_value,
    toUInt8(recency_score) as recency_score,
    toUInt8(frequency_score) as frequency_score,
    toUInt8(monetary_score) as monetary_score,
    multiIf(
        recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4, 'champions',
        recency_score >= 3 and frequency_score >= 4, 'loyal',
        recency_score >= 4 and frequency_score <= 2, 'new or occasional',
        recency_score >= 3, 'promising',
        frequency_score >= 4 or monetary_score >= 4, 'at risk',
        'hibernating'
    ) as segment
from scored
