with source as (
    select * from {{ lake_source('customers') }}
),

renamed as (
    select
        -- ids (tokens are keyed HMACs: joinable, not reversible)
        cast(household_id, 'Int64') as household_id,
        cast(email_token, 'Nullable(String)') as email_token,
        cast(phone_token, 'Nullable(String)') as phone_token,
        cast(loyalty_card_token, 'Nullable(String)') as loyalty_card_token,
        -- generalised attributes
        cast(postcode_district, 'Nullable(String)') as postcode_district,
        cast(age_band, 'Nullable(String)') as age_band,
        cast(country, 'Nullable(String)') as country,
        -- consent
        cast(coalesce(marketing_consent, false), 'Bool') as has_marketing_consent,
        cast(consent_updated_at, 'Nullable(DateTime64(6))') as consent_updated_at,
        -- time
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
