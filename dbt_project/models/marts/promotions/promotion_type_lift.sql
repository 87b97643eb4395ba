{{ config(order_by='(retailer_id, promotion_type)') }}

{#-
  Each kind of promotion per retailer, read two ways kept apart: how often a promoted product-store week
  sells at all (sell-through), and how much the weeks that do sell are lifted. Most promoted weeks sell
  nothing; mixed into the lift, their zeros would make the median lift 0 for every kind.
-#}

with promoted_weeks as (
    select
        retailer_id,
        multiIf(
            is_on_display and is_in_mailer, 'display and mailer',
            is_on_display, 'display only',
            'mailer only'
        ) as promotion_type,
        is_sold,
        item_units_lift,
        sales_value_lift,
        incremental_item_units
    from {{ ref('promotion_lift') }}
)

select
    retailer_id,
    promotion_type,
    count() as promoted_weeks,
    countIf(is_sold) as promoted_weeks_sold,
    promoted_weeks_sold / promoted_weeks as sell_through_rate,
    medianExactIf(item_units_lift, is_sold) as median_item_units_lift_when_sold,
    medianExactIf(sales_value_lift, is_sold) as median_sales_value_lift_when_sold,
    sum(incremental_item_units) as incremental_item_units
from promoted_weeks
group by retailer_id, promotion_type
