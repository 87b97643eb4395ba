{#- No household in the export-ready mart lacks marketing consent in its latest profile. -#}
{{ config(meta={'dagster': {'ref': {'name': 'export_household_segments'}}}) }}
with exported as (
    select household_id from {{ ref('export_household_segments') }}
),

profiles as (
    select household_id, has_marketing_consent from {{ ref('stg_silver__customers') }}
)

select exported.household_id
from exported
left join profiles on exported.household_id = profiles.household_id
where not coalesce(profiles.has_marketing_consent, false)
