{{ config(order_by='(retailer_id, department, product_category, week)') }}

with sales_lines as (
    select
        week,
        retailer_id,
        department,
        product_category,
        brand_type,
        household_id,
        basket_id,
        item_units as line_item_units,
        fuel_quantity as line_fuel_quantity,
        sales_value as line_sales_value
    from {{ ref('fct_sales_lines') }}
),

basket_totals as (
    select
        basket_id,
        sum(line_sales_value) as basket_value,
        sum(line_item_units) as basket_item_units
    from sales_lines
    group by basket_id
),

retailer_week_totals as (
    select
        week,
        retailer_id,
        sum(line_sales_value) as retailer_sales_value,
        uniqExact(basket_id) as retailer_baskets
    from sales_lines
    group by week, retailer_id
),

household_week_spend as (
    select
        week,
        household_id,
        sum(line_sales_value) as household_spend
    from sales_lines
    group by week, household_id
),

category_buyers as (
    select distinct
        week,
        retailer_id,
        department,
        product_category,
        household_id
    from sales_lines
),

buyers_total_spend as (
    select
        category_buyers.week as week,
        category_buyers.retailer_id as retailer_id,
        category_buyers.department as department,
        category_buyers.product_category as product_category,
        sum(household_week_spend.household_spend) as buyers_spend
    from category_buyers
    inner join household_week_spend
        on category_buyers.week = household_week_spend.week
        and category_buyers.household_id = household_week_spend.household_id
    group by week, retailer_id, department, product_category
),

category_baskets as (
    select distinct
        week,
        retailer_id,
        department,
        product_category,
        basket_id
    from sales_lines
),

baskets_with_the_category as (
    select
        category_baskets.week as week,
        category_baskets.retailer_id as retailer_id,
        category_baskets.department as department,
        category_baskets.product_category as product_category,
        {{ mean_amount('sum(basket_totals.basket_value)', 'count()') }} as average_basket_value,
        avg(basket_totals.basket_item_units) as average_basket_item_units
    from category_baskets
    inner join basket_totals on category_baskets.basket_id = basket_totals.basket_id
    group by week, retailer_id, department, product_category
),

summed_by_category as (
    select
        week,
        retailer_id,
        department,
        product_category,
        sum(line_sales_value) as sales_value,
        sumIf(line_sales_value, brand_type = 'private') as private_label_sales_value,
        sum(line_item_units) as item_units,
        sum(line_fuel_quantity) as fuel_quantity,
        uniqExact(basket_id) as baskets,
        uniqExact(household_id) as households
    from sales_lines
    group by week, retailer_id, department, product_category
),

with_shares as (
    select
        summed_by_category.week as week,
        summed_by_category.retailer_id as retailer_id,
        summed_by_category.department as department,
        summed_by_category.product_category as product_category,
        summed_by_category.sales_value as sales_value,
        summed_by_category.item_units as item_units,
        summed_by_category.fuel_quantity as fuel_quantity,
        summed_by_category.baskets as baskets,
        summed_by_category.households as households,
        if(
            summed_by_category.sales_value = 0,
            0,
            toFloat64(summed_by_category.private_label_sales_value) / toFloat64(summed_by_category.sales_value)
        ) as private_label_share,
        {{ ratio('summed_by_category.sales_value', 'retailer_week_totals.retailer_sales_value') }}
            as share_of_retailer_sales,
        {{ ratio('summed_by_category.sales_value', 'buyers_total_spend.buyers_spend') }} as share_of_wallet,
        summed_by_category.baskets / retailer_week_totals.retailer_baskets as basket_penetration,
        baskets_with_the_category.average_basket_value as average_basket_value,
        baskets_with_the_category.average_basket_item_units as average_basket_item_units
    from summed_by_category
    inner join retailer_week_totals
        on summed_by_category.week = retailer_week_totals.week
        and summed_by_category.retailer_id = retailer_week_totals.retailer_id
    inner join buyers_total_spend
        on summed_by_category.week = buyers_total_spend.week
        and summed_by_category.retailer_id = buyers_total_spend.retailer_id
        and summed_by_category.department = buyers_total_spend.department
        and summed_by_category.product_category = buyers_total_spend.product_category
    inner join baskets_with_the_category
        on summed_by_category.week = baskets_with_the_category.week
        and summed_by_category.retailer_id = baskets_with_the_category.retailer_id
        and summed_by_category.department = baskets_with_the_category.department
        and summed_by_category.product_category = baskets_with_the_category.product_category
),

with_growth as (
    select
        *,
        {{ sales_of_earlier_weeks('retailer_id, department, product_category') }}
    from with_shares
)

select
    week,
    {{ week_start_date('week') }} as week_start_date,
    retailer_id,
    department,
    product_category,
    sales_value,
    item_units,
    fuel_quantity,
    baskets,
    households,
    private_label_share,
    share_of_retailer_sales,
    share_of_wallet,
    basket_penetration,
    average_basket_value,
    average_basket_item_units,
    {{ sales_growth() }}
from with_growth
