{{ config(order_by='campaign_id') }}

with campaigns as (
    select * from {{ ref('stg_silver__campaign_descriptions') }}
),

targeted_households as (
    select * from {{ ref('stg_silver__campaigns') }}
),

coupons as (
    select * from {{ ref('stg_silver__coupons') }}
),

redemptions as (
    select * from {{ ref('stg_silver__coupon_redemptions') }}
),

reach as (
    select
        campaign_id,
        uniqExact(household_id) as households_targeted
    from targeted_households
    group by campaign_id
),

coupons_offered as (
    select
        campaign_id,
        uniqExact(coupon_upc) as coupons_offered,
        uniqExact(product_id) as products_on_coupon
    from coupons
    group by campaign_id
),

redemptions_by_targeted_households as (
    select
        redemptions.campaign_id as campaign_id,
        count() as redemptions,
        uniqExact(redemptions.household_id) as households_redeeming
    from redemptions
    inner join targeted_households
        on redemptions.campaign_id = targeted_households.campaign_id
        and redemptions.household_id = targeted_households.household_id
    group by campaign_id
)

select
    campaigns.campaign_id as campaign_id,
    campaigns.campaign_type as campaign_type,
    campaigns.start_date as start_date,
    campaigns.end_date as end_date,
    dateDiff('day', campaigns.start_date, campaigns.end_date) + 1 as duration_days,
    reach.households_targeted as households_targeted,
    coupons_offered.coupons_offered as coupons_offered,
    coupons_offered.products_on_coupon as products_on_coupon,
    redemptions_by_targeted_households.redemptions as redemptions,
    redemptions_by_targeted_households.households_redeeming as households_redeeming,
    households_redeeming / nullIf(households_targeted, 0) as redemption_rate
from campaigns
left join reach on campaigns.campaign_id = reach.campaign_id
left join coupons_offered on campaigns.campaign_id = coupons_offered.campaign_id
left join redemptions_by_targeted_households
    on campaigns.campaign_id = redemptions_by_targeted_households.campaign_id
