{{ config(order_by='(campaign_id, household_id)') }}

{#- One row per household and campaign that targeted it: whether and how it responded. -#}

with targeted_households as (
    select * from {{ ref('stg_silver__campaigns') }}
),

campaigns as (
    select * from {{ ref('stg_silver__campaign_descriptions') }}
),

redemptions as (
    select * from {{ ref('stg_silver__coupon_redemptions') }}
),

daily_spend as (
    select
        household_id,
        toDate(transaction_at) as spent_on,
        sum(sales_value) as day_sales_value
    from {{ ref('fct_sales_lines') }}
    group by household_id, spent_on
),

redemptions_by_household as (
    select
        campaign_id,
        household_id,
        count() as household_redemptions,
        min(redeemed_on) as household_first_redeemed_on
    from redemptions
    group by campaign_id, household_id
),

spend_during_campaign as (
    select
        targeted_households.campaign_id as campaign_id,
        targeted_households.household_id as household_id,
        sum(daily_spend.day_sales_value) as campaign_sales_value
    from targeted_households
    inner join campaigns on targeted_households.campaign_id = campaigns.campaign_id
    inner join daily_spend on targeted_households.household_id = daily_spend.household_id
    where daily_spend.spent_on between campaigns.start_date and campaigns.end_date
    group by campaign_id, household_id
)

select
    targeted_households.campaign_id as campaign_id,
    targeted_households.household_id as household_id,
    campaigns.campaign_type as campaign_type,
    campaigns.start_date as start_date,
    campaigns.end_date as end_date,
    redemptions_by_household.household_redemptions as redemptions,
    toBool(redemptions > 0) as responded,
    if(responded, redemptions_by_household.household_first_redeemed_on, null) as first_redeemed_on,
    spend_during_campaign.campaign_sales_value as sales_value_during_campaign
from targeted_households
inner join campaigns on targeted_households.campaign_id = campaigns.campaign_id
left join redemptions_by_household
    on targeted_households.campaign_id = redemptions_by_household.campaign_id
    and targeted_households.household_id = redemptions_by_household.household_id
left join spend_during_campaign
    on targeted_households.campaign_id = spend_during_campaign.campaign_id
    and targeted_households.household_id = spend_during_campaign.household_id
