with source as (
    select * from {{ lake_source('campaigns') }}
),

renamed as (
    select
        -- ids
        cast(campaign_id, 'Int64') as campaign_id,
        cast(household_id, 'Int64') as household_id,
        -- time
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
