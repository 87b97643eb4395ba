{#-
  Every week's lines, baskets, households, units and sales in the mart equal what the ingested landing files hold
  (source reconciliation.landing_sales_weekly), to the cent; a week only one side holds is a difference too.
-#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_sales_lines'}}}) }}
with landing as (
    select week, lines, baskets, households, units, sales_value
    {%- set recorded = source('reconciliation', 'landing_sales_weekly') %}
    from {{ lake_delta_at('silver/' ~ recorded.schema ~ '/' ~ recorded.identifier) }}
),

marts as (
    select
        week,
        toInt64(count()) as lines,
        toInt64(uniqExact(basket_id)) as baskets,
        toInt64(uniqExact(household_id)) as households,
        toInt64(sum(item_units + fuel_quantity)) as units,
        sum(sales_value) as sales_value
    from {{ ref('fct_sales_lines') }}
    group by week
),

both_sides as (
    select week, lines as landing_lines, baskets as landing_baskets, households as landing_households,
        units as landing_units, toDecimal128(sales_value, 2) as landing_sales_value,
        toInt64(0) as mart_lines, toInt64(0) as mart_baskets, toInt64(0) as mart_households, toInt64(0) as mart_units,
        toDecimal128(0, 2) as mart_sales_value
    from landing
    union all
    select week, toInt64(0), toInt64(0), toInt64(0), toInt64(0), toDecimal128(0, 2),
        lines, baskets, households, units, toDecimal128(sales_value, 2)
    from marts
)

select
    week,
    sum(landing_lines) as landing_lines,
    sum(mart_lines) as mart_lines,
    sum(landing_baskets) as landing_baskets,
    sum(mart_baskets) as mart_baskets,
    sum(landing_households) as landing_households,
    sum(mart_households) as mart_households,
    sum(landing_units) as landing_units,
    sum(mart_units) as mart_units,
    sum(landing_sales_value) as landing_sales_value,
    sum(mart_sales_value) as mart_sales_value
from both_sides
group by week
having landing_lines != mart_lines
    or landing_baskets != mart_baskets
    or landing_households != mart_households
    or landing_units != mart_units
    or landing_sales_value != mart_sales_value
