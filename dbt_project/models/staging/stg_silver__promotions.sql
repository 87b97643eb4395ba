with source as (
    select * from {{ lake_source('promotions') }}
),

renamed as (
    select
        -- ids
        cast(product_id, 'Int64') as product_id,
        cast(store_id, 'Int64') as store_id,
        -- placements (codes as in the source: '0' means none)
        cast(display_location, 'String') as display_location,
        cast(mailer_location, 'String') as mailer_location,
        -- time
        cast(week, 'Int32') as week,
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
