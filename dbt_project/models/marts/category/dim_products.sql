{{ config(order_by='product_id') }}

with catalogued as (
    select
        product_id,
        manufacturer_id,
        department,
        product_category,
        product_type,
        brand,
        package_size,
        false as is_inferred
    from {{ ref('stg_silver__products') }}
),

named as (
    select product_id from {{ ref('stg_silver__transactions') }}
    union distinct
    select product_id from {{ ref('stg_silver__coupons') }}
    union distinct
    select product_id from {{ ref('stg_silver__promotions') }}
),

inferred as (
    -- A product a sale, coupon or promotion names before any catalogue file lists it.
    select
        product_id,
        cast(null, 'Nullable(Int64)') as manufacturer_id,
        'UNKNOWN' as department,
        'UNKNOWN' as product_category,
        'UNKNOWN' as product_type,
        cast(null, 'Nullable(String)') as brand,
        cast(null, 'Nullable(String)') as package_size,
        true as is_inferred
    from named
    where product_id not in (select product_id from catalogued)
),

members as (
    select * from catalogued
    union all
    select * from inferred
),

classified as (
    select
        product_id,
        manufacturer_id,
        department,
        product_category,
        product_type,
        multiIf(brand = 'Private', 'private', brand = 'National', 'national', 'unknown') as brand_type,
        package_size,
        toBool(department = 'FUEL' or product_type like 'GASOLINE%') as is_fuel,
        if(is_fuel, 'fuel_quantity', 'items') as unit_measure,
        is_inferred
    from members
)

select * from classified
