{{ config(order_by='household_id') }}

{#-
  Recency, frequency and monetary value per household over the whole data, scored 1 (lowest) to 5
  (highest) against quintile thresholds of the values, and the segment those scores put the household in.
  A score is 1 plus the number of thresholds (the values at the 20th, 40th, 60th and 80th percentiles of all
  households) the household's value reaches, so equal values always get equal scores.
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

thresholds as (
    select
        quantilesExact(0.2, 0.4, 0.6, 0.8)(last_purchase_week) as recency_thresholds,
        quantilesExact(0.2, 0.4, 0.6, 0.8)(baskets) as frequency_thresholds,
        quantilesExact(0.2, 0.4, 0.6, 0.8)(monetary_value) as monetary_thresholds
    from per_household
),

scored as (
    select
        household_id,
        last_purchase_week,
        (select last_week from last_week_of_data) - last_purchase_week as recency_weeks,
        baskets as frequency_baskets,
        monetary_value,
        1 + arrayCount(threshold -> last_purchase_week >= threshold, recency_thresholds) as recency_score,
        1 + arrayCount(threshold -> baskets >= threshold, frequency_thresholds) as frequency_score,
        1 + arrayCount(threshold -> monetary_value >= threshold, monetary_thresholds) as monetary_score
    from per_household
    cross join thresholds
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
