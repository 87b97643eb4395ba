{{ config(order_by='campaign_type') }}

with campaigns as (
    select
        campaign_type,
        households_targeted as campaign_households_targeted,
        households_redeeming as campaign_households_redeeming,
        redemptions as campaign_redemptions
    from {{ ref('campaign_performance') }}
)

select
    campaign_type,
    count() as campaigns,
    sum(campaign_households_targeted) as households_targeted,
    sum(campaign_households_redeeming) as households_redeeming,
    sum(campaign_redemptions) as redemptions,
    households_redeeming / nullIf(households_targeted, 0) as redemption_rate
from campaigns
group by campaign_type
