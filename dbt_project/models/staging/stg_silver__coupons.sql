with source as (
    select * from {{ lake_source('coupons') }}
),

renamed as (
    select
        -- ids
        cast(coupon_upc, 'Int64') as coupon_upc,
        cast(product_id, 'Int64') as product_id,
        cast(campaign_id, 'Int64') as campaign_id,
        -- time
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
