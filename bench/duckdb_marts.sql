-- The dbt marts' SQL translated to DuckDB, model by model, for the benchmark's baseline.
-- The silver_<table> views over the lake's active Parquet files are created by bench/dbt_marts.py.
-- Statements are separated by a line holding only ';'.

create table dim_products as
with named as (
    select product_id from silver_transactions
    union select product_id from silver_coupons
    union select product_id from silver_promotions
),
members as (
    select product_id, manufacturer_id, coalesce(department, 'UNKNOWN') as department,
           coalesce(product_category, 'UNKNOWN') as product_category,
           coalesce(product_type, 'UNKNOWN') as product_type, brand, package_size, false as is_inferred
    from silver_products
    union all
    select product_id, null, 'UNKNOWN', 'UNKNOWN', 'UNKNOWN', null, null, true
    from named where product_id not in (select product_id from silver_products)
)
select
    product_id,
    manufacturer_id,
    department,
    product_category,
    product_type,
    case brand when 'Private' then 'private' when 'National' then 'national' else 'unknown' end as brand_type,
    package_size,
    (department = 'FUEL' or product_type like 'GASOLINE%') as is_fuel,
    case when is_fuel then 'fuel_quantity' else 'items' end as unit_measure,
    is_inferred
from members
;
create table dim_stores as
select store_id, retailer_id, retailer_name, country from silver_stores
;
create table fct_sales_lines as
select
    t.week,
    case when t.week = 1 then date '2017-01-01' else date '2017-01-02' + cast(7 * (t.week - 2) as integer) end as week_start_date,
    t.transaction_timestamp as transaction_at,
    t.household_id,
    t.basket_id,
    t.store_id,
    s.retailer_id,
    t.product_id,
    p.department,
    p.product_category,
    p.product_type,
    p.brand_type,
    p.unit_measure,
    case when p.is_fuel then 0 else t.quantity end as item_units,
    case when p.is_fuel then t.quantity else 0 end as fuel_quantity,
    t.sales_value,
    t.retail_disc as retail_discount,
    t.coupon_disc as coupon_discount,
    t.coupon_match_disc as coupon_match_discount
from silver_transactions t
left join dim_products p on t.product_id = p.product_id
left join dim_stores s on t.store_id = s.store_id
;
create table category_sales_weekly as
with summed as (
    select
        week, retailer_id, store_id, department, product_category, product_type, brand_type,
        sum(sales_value) as sales_value,
        sum(retail_discount + coupon_discount + coupon_match_discount) as discount_value,
        sum(item_units) as item_units,
        sum(fuel_quantity) as fuel_quantity,
        count(*) as lines,
        count(distinct basket_id) as baskets,
        count(distinct household_id) as households
    from fct_sales_lines
    group by all
)
select
    *,
    sales_value / nullif(sum(sales_value) over (partition by week, store_id, department, product_category), 0)
        as share_of_category
from summed
;
create table category_performance_weekly as
with basket_totals as (
    select basket_id, sum(sales_value) as basket_value, sum(item_units) as basket_item_units
    from fct_sales_lines group by basket_id
),
retailer_week_totals as (
    select week, retailer_id, sum(sales_value) as retailer_sales_value, count(distinct basket_id) as retailer_baskets
    from fct_sales_lines group by all
),
household_week_spend as (
    select week, household_id, sum(sales_value) as household_spend from fct_sales_lines group by all
),
buyers_total_spend as (
    select b.week, b.retailer_id, b.department, b.product_category, sum(h.household_spend) as buyers_spend
    from (select distinct week, retailer_id, department, product_category, household_id from fct_sales_lines) b
    join household_week_spend h on b.week = h.week and b.household_id = h.household_id
    group by all
),
baskets_with_the_category as (
    select c.week, c.retailer_id, c.department, c.product_category,
           avg(t.basket_value) as average_basket_value, avg(t.basket_item_units) as average_basket_item_units
    from (select distinct week, retailer_id, department, product_category, basket_id from fct_sales_lines) c
    join basket_totals t on c.basket_id = t.basket_id
    group by all
),
summed_by_category as (
    select week, retailer_id, department, product_category,
           sum(sales_value) as sales_value,
           sum(sales_value) filter (where brand_type = 'private') as private_label_sales_value,
           sum(item_units) as item_units,
           sum(fuel_quantity) as fuel_quantity,
           count(distinct basket_id) as baskets,
           count(distinct household_id) as households
    from fct_sales_lines group by all
),
with_shares as (
    select s.week, s.retailer_id, s.department, s.product_category, s.sales_value, s.item_units, s.fuel_quantity,
           s.baskets, s.households,
           case when s.sales_value = 0 then 0 else coalesce(s.private_label_sales_value, 0) / s.sales_value end
               as private_label_share,
           s.sales_value / nullif(r.retailer_sales_value, 0) as share_of_retailer_sales,
           s.sales_value / nullif(b.buyers_spend, 0) as share_of_wallet,
           s.baskets / r.retailer_baskets as basket_penetration,
           c.average_basket_value, c.average_basket_item_units
    from summed_by_category s
    join retailer_week_totals r on s.week = r.week and s.retailer_id = r.retailer_id
    join buyers_total_spend b on s.week = b.week and s.retailer_id = b.retailer_id
        and s.department = b.department and s.product_category = b.product_category
    join baskets_with_the_category c on s.week = c.week and s.retailer_id = c.retailer_id
        and s.department = c.department and s.product_category = c.product_category
),
with_growth as (
    select *,
        sum(sales_value) over (partition by retailer_id, department, product_category order by week
                               range between 1 preceding and 1 preceding) as previous_week,
        sum(sales_value) over (partition by retailer_id, department, product_category order by week
                               range between 3 preceding and current row) as last_4_weeks,
        sum(sales_value) over (partition by retailer_id, department, product_category order by week
                               range between 7 preceding and 4 preceding) as prior_4_weeks,
        sum(sales_value) over (partition by retailer_id, department, product_category order by week
                               range between 52 preceding and 52 preceding) as year_ago
    from with_shares
)
select * exclude (previous_week, last_4_weeks, prior_4_weeks, year_ago),
    sales_value / nullif(previous_week, 0) - 1 as sales_growth_vs_previous_week,
    case when week >= 8 then last_4_weeks / nullif(prior_4_weeks, 0) - 1 end
        as sales_growth_last_4_weeks_vs_prior_4_weeks,
    sales_value / nullif(year_ago, 0) - 1 as sales_growth_vs_year_ago
from with_growth
;
create table category_growth_weekly as
with summed_over_retailers as (
    select week, department, product_category, sum(sales_value) as sales_value
    from category_sales_weekly group by all
),
with_earlier_weeks as (
    select *,
        coalesce(sum(sales_value) over (partition by department, product_category order by week
                                        range between 1 preceding and 1 preceding), 0) as sales_value_previous_week,
        coalesce(sum(sales_value) over (partition by department, product_category order by week
                                        range between 3 preceding and current row), 0) as sales_value_last_4_weeks,
        coalesce(sum(sales_value) over (partition by department, product_category order by week
                                        range between 7 preceding and 4 preceding), 0) as sales_value_prior_4_weeks,
        coalesce(sum(sales_value) over (partition by department, product_category order by week
                                        range between 52 preceding and 52 preceding), 0) as sales_value_year_ago
    from summed_over_retailers
)
select week,
    case when week = 1 then date '2017-01-01' else date '2017-01-02' + cast(7 * (week - 2) as integer) end
        as week_start_date,
    department, product_category, sales_value,
    sales_value_previous_week, sales_value / nullif(sales_value_previous_week, 0) - 1 as sales_growth_vs_previous_week,
    sales_value_last_4_weeks, sales_value_prior_4_weeks,
    case when week >= 8 then sales_value_last_4_weeks / nullif(sales_value_prior_4_weeks, 0) - 1 end
        as sales_growth_last_4_weeks_vs_prior_4_weeks,
    sales_value_year_ago, sales_value / nullif(sales_value_year_ago, 0) - 1 as sales_growth_vs_year_ago
from with_earlier_weeks
;
create table promotion_calendar as
select
    p.week, p.product_id, p.store_id, s.retailer_id, p.display_location, p.mailer_location,
    p.display_location <> '0' as is_on_display,
    p.mailer_location <> '0' as is_in_mailer
from silver_promotions p
left join dim_stores s on p.store_id = s.store_id
;
create table int_product_store_weeks_joined as
with sold as (
    select product_id, store_id, week, any_value(retailer_id) as retailer_id,
           sum(sales_value) as sales_value, sum(item_units) as item_units, sum(fuel_quantity) as fuel_quantity,
           sum(retail_discount) as retail_discount, sum(coupon_discount) as coupon_discount,
           sum(coupon_match_discount) as coupon_match_discount, count(*) as lines
    from fct_sales_lines group by product_id, store_id, week
),
promoted as (
    select c.product_id, c.store_id, c.week, c.retailer_id, c.is_on_display, c.is_in_mailer
    from promotion_calendar c
    semi join (select distinct product_id, store_id from sold) pairs
        on c.product_id = pairs.product_id and c.store_id = pairs.store_id
    where c.is_on_display or c.is_in_mailer
)
select
    coalesce(sold.product_id, promoted.product_id) as product_id,
    coalesce(sold.store_id, promoted.store_id) as store_id,
    coalesce(sold.week, promoted.week) as week,
    coalesce(sold.retailer_id, promoted.retailer_id) as retailer_id,
    coalesce(sold.sales_value, 0) as sales_value,
    coalesce(sold.item_units, 0) as item_units,
    coalesce(sold.fuel_quantity, 0) as fuel_quantity,
    coalesce(sold.retail_discount, 0) as retail_discount,
    coalesce(sold.coupon_discount, 0) as coupon_discount,
    coalesce(sold.coupon_match_discount, 0) as coupon_match_discount,
    coalesce(sold.lines, 0) as lines,
    coalesce(promoted.is_on_display, false) as is_on_display,
    coalesce(promoted.is_in_mailer, false) as is_in_mailer,
    coalesce(promoted.is_on_display or promoted.is_in_mailer, false) as is_promoted
from sold
full outer join promoted
    on sold.product_id = promoted.product_id and sold.store_id = promoted.store_id and sold.week = promoted.week
;
create table promotion_product_weekly as
with summed as (
    select product_id, week,
        coalesce(sum(sales_value) filter (where is_promoted), 0) as promoted_sales_value,
        coalesce(sum(sales_value) filter (where not is_promoted), 0) as non_promoted_sales_value,
        coalesce(sum(item_units) filter (where is_promoted), 0) as promoted_item_units,
        coalesce(sum(item_units) filter (where not is_promoted), 0) as non_promoted_item_units,
        coalesce(sum(fuel_quantity) filter (where is_promoted), 0) as promoted_fuel_quantity,
        coalesce(sum(fuel_quantity) filter (where not is_promoted), 0) as non_promoted_fuel_quantity,
        count(*) filter (where is_promoted) as stores_promoting,
        count(*) filter (where lines > 0) as stores_selling,
        sum(retail_discount) as retail_discount,
        sum(coupon_discount) as coupon_discount,
        sum(coupon_match_discount) as coupon_match_discount,
        sum(sales_value) as sales_value
    from int_product_store_weeks_joined group by product_id, week
)
select s.* exclude (sales_value), p.department, p.product_category, p.brand_type,
    (s.retail_discount + s.coupon_discount + s.coupon_match_discount)
        / nullif(s.sales_value + s.retail_discount + s.coupon_discount + s.coupon_match_discount, 0) as discount_depth
from summed s left join dim_products p on s.product_id = p.product_id
;
create table promotion_lift as
with spans as (
    select product_id, store_id,
           min(week) filter (where lines > 0) as first_selling_week,
           max(week) filter (where lines > 0) as last_selling_week
    from int_product_store_weeks_joined group by all
),
weeks_in_span as (
    select w.*, s.first_selling_week, s.last_selling_week
    from int_product_store_weeks_joined w
    join spans s on w.product_id = s.product_id and w.store_id = s.store_id
    where w.week between s.first_selling_week and s.last_selling_week
),
baselines as (
    select product_id, store_id,
        any_value(last_selling_week) - any_value(first_selling_week) + 1 - count(*) filter (where is_promoted)
            as weeks_without_promotion,
        sum(item_units) filter (where not is_promoted) / nullif(weeks_without_promotion, 0) as baseline_item_units,
        sum(sales_value) filter (where not is_promoted) / nullif(weeks_without_promotion, 0) as baseline_sales_value
    from weeks_in_span group by all
)
select w.product_id, w.store_id, w.retailer_id, w.week, w.is_on_display, w.is_in_mailer, w.lines > 0 as is_sold,
       w.item_units,
       w.sales_value, b.weeks_without_promotion as baseline_weeks, b.baseline_item_units, b.baseline_sales_value,
       w.item_units / nullif(b.baseline_item_units, 0) as item_units_lift,
       w.sales_value / nullif(b.baseline_sales_value, 0) as sales_value_lift,
       w.item_units - b.baseline_item_units as incremental_item_units
from weeks_in_span w
join baselines b on w.product_id = b.product_id and w.store_id = b.store_id
where w.is_promoted
;
create table promotion_type_lift as
select retailer_id,
       case when is_on_display and is_in_mailer then 'display and mailer'
            when is_on_display then 'display only' else 'mailer only' end as promotion_type,
       count(*) as promoted_weeks,
       count(*) filter (where is_sold) as promoted_weeks_sold,
       promoted_weeks_sold / promoted_weeks as sell_through_rate,
       median(item_units_lift) filter (where is_sold) as median_item_units_lift_when_sold,
       median(sales_value_lift) filter (where is_sold) as median_sales_value_lift_when_sold,
       sum(incremental_item_units) as incremental_item_units
from promotion_lift group by all
;
create table campaign_performance as
with reach as (
    select campaign_id, count(distinct household_id) as households_targeted from silver_campaigns group by all
),
offered as (
    select campaign_id, count(distinct coupon_upc) as coupons_offered, count(distinct product_id) as products_on_coupon
    from silver_coupons group by all
),
redeemed as (
    select r.campaign_id, count(*) as redemptions, count(distinct r.household_id) as households_redeeming
    from silver_coupon_redemptions r
    join silver_campaigns t on r.campaign_id = t.campaign_id and r.household_id = t.household_id
    group by all
)
select d.campaign_id, d.campaign_type, cast(d.start_date as date) as start_date, cast(d.end_date as date) as end_date,
       date_diff('day', cast(d.start_date as date), cast(d.end_date as date)) + 1 as duration_days,
       reach.households_targeted, offered.coupons_offered, offered.products_on_coupon,
       coalesce(redeemed.redemptions, 0) as redemptions,
       coalesce(redeemed.households_redeeming, 0) as households_redeeming,
       coalesce(redeemed.households_redeeming, 0) / nullif(reach.households_targeted, 0) as redemption_rate
from silver_campaign_descriptions d
left join reach on d.campaign_id = reach.campaign_id
left join offered on d.campaign_id = offered.campaign_id
left join redeemed on d.campaign_id = redeemed.campaign_id
;
create table campaign_type_performance as
select campaign_type, count(*) as campaigns, sum(households_targeted) as households_targeted,
       sum(households_redeeming) as households_redeeming, sum(redemptions) as redemptions,
       sum(households_redeeming) / nullif(sum(households_targeted), 0) as redemption_rate
from campaign_performance group by all
;
create table household_rfm as
with per_household as (
    select household_id, max(week) as last_purchase_week, count(distinct basket_id) as baskets,
           sum(sales_value) as monetary_value
    from fct_sales_lines group by all
),
sorted_values as (
    select list_sort(list(last_purchase_week)) as weeks, list_sort(list(baskets)) as basket_counts,
           list_sort(list(monetary_value)) as spends, count(*) as households
    from per_household
),
thresholds as (
    -- ClickHouse's quantileExact: the value at 0-based position floor(level * n) of the sorted values
    select list_transform([0.2, 0.4, 0.6, 0.8], lambda level: weeks[cast(floor(level * households) as bigint) + 1])
               as recency_thresholds,
           list_transform([0.2, 0.4, 0.6, 0.8], lambda level: basket_counts[cast(floor(level * households) as bigint) + 1])
               as frequency_thresholds,
           list_transform([0.2, 0.4, 0.6, 0.8], lambda level: spends[cast(floor(level * households) as bigint) + 1])
               as monetary_thresholds
    from sorted_values
),
scored as (
    select household_id, last_purchase_week,
        (select max(week) from fct_sales_lines) - last_purchase_week as recency_weeks,
        baskets as frequency_baskets, monetary_value,
        1 + len(list_filter(recency_thresholds, lambda threshold: last_purchase_week >= threshold)) as recency_score,
        1 + len(list_filter(frequency_thresholds, lambda threshold: baskets >= threshold)) as frequency_score,
        1 + len(list_filter(monetary_thresholds, lambda threshold: monetary_value >= threshold)) as monetary_score
    from per_household, thresholds
)
select *,
    case
        when recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4 then 'champions'
        when recency_score >= 3 and frequency_score >= 4 then 'loyal'
        when recency_score >= 4 and frequency_score <= 2 then 'new or occasional'
        when recency_score >= 3 then 'promising'
        when frequency_score >= 4 or monetary_score >= 4 then 'at risk'
        else 'hibernating'
    end as segment
from scored
;
create table spend_by_demographic as
with bands as (
    select h.household_id, h.frequency_baskets, h.monetary_value, d.household_id is not null as has_demographics,
        unnest([
            {'demographic': 'age', 'band': coalesce(d.age, 'unknown')},
            {'demographic': 'income', 'band': coalesce(d.income, 'unknown')},
            {'demographic': 'home_ownership', 'band': coalesce(d.home_ownership, 'unknown')},
            {'demographic': 'marital_status', 'band': coalesce(d.marital_status, 'unknown')},
            {'demographic': 'household_size', 'band': coalesce(d.household_size, 'unknown')},
            {'demographic': 'household_comp', 'band': coalesce(d.household_comp, 'unknown')},
            {'demographic': 'kids_count', 'band': coalesce(d.kids_count, 'unknown')}
        ]) as demographic_band
    from household_rfm h left join silver_demographics d on h.household_id = d.household_id
)
select demographic_band.demographic as demographic,
    case when has_demographics then demographic_band.band else 'not collected' end as band,
    count(distinct household_id) as households, sum(monetary_value) as sales_value,
    sum(frequency_baskets) as baskets,
    sum(monetary_value) / count(distinct household_id) as sales_value_per_household,
    sum(frequency_baskets) / count(distinct household_id) as baskets_per_household,
    sum(monetary_value) / nullif(sum(frequency_baskets), 0) as average_basket_value
from bands group by all
;
create table campaign_participation as
with daily_spend as (
    select household_id, cast(transaction_at as date) as spent_on, sum(sales_value) as day_sales_value
    from fct_sales_lines group by all
),
redeemed as (
    select campaign_id, household_id, count(*) as redemptions, min(cast(redemption_date as date)) as first_redeemed_on
    from silver_coupon_redemptions group by all
),
spend as (
    select t.campaign_id, t.household_id, sum(s.day_sales_value) as sales_value_during_campaign
    from silver_campaigns t
    join silver_campaign_descriptions d on t.campaign_id = d.campaign_id
    join daily_spend s on t.household_id = s.household_id
    where s.spent_on between cast(d.start_date as date) and cast(d.end_date as date)
    group by all
)
select t.campaign_id, t.household_id, d.campaign_type, cast(d.start_date as date) as start_date,
       cast(d.end_date as date) as end_date, coalesce(r.redemptions, 0) as redemptions,
       coalesce(r.redemptions, 0) > 0 as responded, r.first_redeemed_on, s.sales_value_during_campaign
from silver_campaigns t
join silver_campaign_descriptions d on t.campaign_id = d.campaign_id
left join redeemed r on t.campaign_id = r.campaign_id and t.household_id = r.household_id
left join spend s on t.campaign_id = s.campaign_id and t.household_id = s.household_id
