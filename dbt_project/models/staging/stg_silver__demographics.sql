with source as (
    select * from {{ lake_source('demographics') }}
),

renamed as (
    select
        -- ids
        cast(household_id, 'Int64') as household_id,
        -- bands, as the data provider publishes them ('unknown' where it has none)
        cast(coalesce(age, 'unknown'), 'String') as age,
        cast(coalesce(income, 'unknown'), 'String') as income,
        cast(coalesce(home_ownership, 'unknown'), 'String') as home_ownership,
        cast(coalesce(marital_status, 'unknown'), 'String') as marital_status,
        cast(coalesce(household_size, 'unknown'), 'String') as household_size,
        cast(coalesce(household_comp, 'unknown'), 'String') as household_comp,
        cast(coalesce(kids_count, 'unknown'), 'String') as kids_count,
        -- time
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
