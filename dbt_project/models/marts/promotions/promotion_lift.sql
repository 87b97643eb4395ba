{{ config(order_by='(product_id, store_id, week)') }}

{#-
  Lift of a promoted week over the same product and store in weeks without promotion.
  The baseline is the average week without promotion within the pair's selling span (its first to its
  last week with a sale), counting weeks without a sale as zero, so a product that rarely sells has a
  low baseline rather than the average of its good weeks.
-#}

with product_store_weeks as (
    select * from {{ ref('int_product_store_weeks_joined') }}
),

selling_spans as (
    select
        product_id,
        store_id,
        minIf(week, lines > 0) as first_selling_week,
        maxIf(week, lines > 0) as last_selling_week
    from product_store_weeks
    group by product_id, store_id
),

weeks_in_span as (
    select
        product_store_weeks.*,
        selling_spans.first_selling_week as first_selling_week,
        selling_spans.last_selling_week as last_selling_week
    from product_store_weeks
    inner join selling_spans
        on product_store_weeks.product_id = selling_spans.product_id
        and product_store_weeks.store_id = selling_spans.store_id
    where product_store_weeks.week between selling_spans.first_selling_week and selling_spans.last_selling_week
),

baselines as (
    select
        product_id,
        store_id,
        any(last_selling_week) - any(first_selling_week) + 1 - countIf(is_promoted) as weeks_without_promotion,
        sumIf(item_units, not is_promoted) / nullIf(weeks_without_promotion, 0) as baseline_item_units,
        sumIf(sales_value, not is_promoted) as baseline_sales_total,
        {{ mean_amount('baseline_sales_total', 'nullIf(weeks_without_promotion, 0)') }} as baseline_sales_value
    from weeks_in_span
    group by product_id, store_id
),

promoted_weeks as (
    select * from weeks_in_span where is_promoted
)

select
    promoted_weeks.product_id as product_id,
    promoted_weeks.store_id as store_id,
    promoted_weeks.retailer_id as retailer_id,
    promoted_weeks.week as week,
    {{ week_start_date('promoted_weeks.week') }} as week_start_date,
    promoted_weeks.is_on_display as is_on_display,
    promoted_weeks.is_in_mailer as is_in_mailer,
    toBool(promoted_weeks.lines > 0) as is_sold,
    promoted_weeks.item_units as item_units,
    promoted_weeks.sales_value as sales_value,
    baselines.weeks_without_promotion as baseline_weeks,
    baselines.baseline_item_units as baseline_item_units,
    baselines.baseline_sales_value as baseline_sales_value,
    promoted_weeks.item_units / nullIf(baselines.baseline_item_units, 0) as item_units_lift,
    {{ ratio('promoted_weeks.sales_value * baselines.weeks_without_promotion', 'baselines.baseline_sales_total') }}
        as sales_value_lift,
    promoted_weeks.item_units - baselines.baseline_item_units as incremental_item_units
from promoted_weeks
inner join baselines
    on promoted_weeks.product_id = baselines.product_id
    and promoted_weeks.store_id = baselines.store_id
