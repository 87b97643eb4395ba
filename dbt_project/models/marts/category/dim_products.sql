{{ config(order_by='product_id') }}

with products as (
    select * from {{ ref('stg_silver__products') }}
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
        if(is_fuel, 'fuel_quantity', 'items') as unit_measure
    from products
)

select * from classified
