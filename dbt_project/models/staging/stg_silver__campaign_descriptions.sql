with source as (
    select * from {{ lake_source('campaign_descriptions') }}
),

renamed as (
    select
        -- ids
        cast(campaign_id, 'Int64') as campaign_id,
        -- attributes
        cast(campaign_type, 'String') as campaign_type,
        -- time
        toDate(start_date) as start_date,
        toDate(end_date) as end_date,
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
