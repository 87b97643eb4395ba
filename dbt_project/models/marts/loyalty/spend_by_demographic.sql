{{ config(order_by='(demographic, band)') }}

{#- One row per demographic attribute and band: how much households in the band spend. -#}

with households as (
    select * from {{ ref('household_rfm') }}
),

demographics as (
    select * from {{ ref('stg_silver__demographics') }}
),

households_with_bands as (
    select
        households.household_id as household_id,
        households.frequency_baskets as frequency_baskets,
        households.monetary_value as monetary_value,
        demographics.household_id != 0 as has_demographics,
        [
            ('age', demographics.age),
            ('income', demographics.income),
            ('home_ownership', demographics.home_ownership),
            ('marital_status', demographics.marital_status),
            ('household_size', demographics.household_size),
            ('household_comp', demographics.household_comp),
            ('kids_count', demographics.kids_count)
        ] as bands
    from households
    left join demographics on households.household_id = demographics.household_id
),

one_row_per_household_and_band as (
    select
        household_id,
        frequency_baskets,
        monetary_value,
        arrayJoin(bands) as demographic_band,
        tupleElement(demographic_band, 1) as band_demographic,
        if(has_demographics, tupleElement(demographic_band, 2), 'not collected') as band_value
    from households_with_bands
)

select
    band_demographic as demographic,
    band_value as band,
    uniqExact(household_id) as households,
    sum(monetary_value) as sales_value,
    sum(frequency_baskets) as baskets,
    {{ mean_amount('sales_value', 'households') }} as sales_value_per_household,
    baskets / households as baskets_per_household,
    {{ mean_amount('sales_value', 'nullIf(baskets, 0)') }} as average_basket_value
from one_row_per_household_and_band
group by band_demographic, band_value
