with source as (
    select * from {{ lake_source('coupon_redemptions') }}
),

renamed as (
    select
        -- ids
        cast(household_id, 'Int64') as household_id,
        cast(coupon_upc, 'Int64') as coupon_upc,
        cast(campaign_id, 'Int64') as campaign_id,
        -- time
        toDate(redemption_date) as redeemed_on,
        cast(week, 'Int32') as week,
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
