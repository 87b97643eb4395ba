with source as (
    select * from {{ lake_source('stores') }}
),

renamed as (
    select
        -- ids
        cast(store_id, 'Int64') as store_id,
        cast(retailer_id, 'String') as retailer_id,
        -- attributes
        cast(retailer_name, 'Nullable(String)') as retailer_name,
        cast(country, 'Nullable(String)') as country,
        -- time
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
