{#- Each campaign's redemptions equal silver redemptions by the households it targeted. -#}
{{ config(meta={'dagster': {'ref': {'name': 'campaign_performance'}}}) }}
with silver_counts as (
    select redemptions.campaign_id as campaign_id, count() as silver_redemptions
    from {{ ref('stg_silver__coupon_redemptions') }} as redemptions
    inner join {{ ref('stg_silver__campaigns') }} as targeted
        on redemptions.campaign_id = targeted.campaign_id
        and redemptions.household_id = targeted.household_id
    group by redemptions.campaign_id
)

select
    campaign_performance.campaign_id as campaign_id,
    campaign_performance.redemptions as mart_redemptions,
    silver_counts.silver_redemptions as silver_redemptions
from {{ ref('campaign_performance') }} as campaign_performance
left join silver_counts on campaign_performance.campaign_id = silver_counts.campaign_id
where campaign_performance.redemptions != silver_counts.silver_redemptions
