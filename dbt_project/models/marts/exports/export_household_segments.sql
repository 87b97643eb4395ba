{{ config(order_by='(retailer_id, household_id)') }}

{#-
  The export-ready list of households a retailer may address with personalised offers: one row per
  retailer and consenting household, with the household's RFM segment. A household belongs to the
  retailer whose stores it visited on most baskets (ties to the lower retailer id). Households without
  marketing consent are left out by the shared consent filter.
-#}

with households as (
    select * from {{ ref('household_rfm') }}
),

sales_lines as (
    select * from {{ ref('fct_sales_lines') }}
),

customers as (
    select * from {{ ref('stg_silver__customers') }}
),

baskets_by_retailer as (
    select
        household_id,
        retailer_id,
        uniqExact(basket_id) as baskets
    from sales_lines
    group by
        household_id,
        retailer_id
),

home_retailer as (
    select
        household_id,
        argMin(retailer_id, (-baskets, retailer_id)) as retailer_id
    from baskets_by_retailer
    group by household_id
)

select
    home_retailer.retailer_id as retailer_id,
    households.household_id as household_id,
    customers.loyalty_card_token as loyalty_card_token,
    households.segment as segment,
    households.recency_score as recency_score,
    households.frequency_score as frequency_score,
    households.monetary_score as monetary_score
from households
inner join home_retailer on households.household_id = home_retailer.household_id
left join customers on households.household_id = customers.household_id
where {{ has_marketing_consent('households.household_id') }}
