with source as (
    select * from {{ lake_source('products') }}
),

renamed as (
    select
        -- ids
        cast(product_id, 'Int64') as product_id,
        cast(manufacturer_id, 'Nullable(Int64)') as manufacturer_id,
        -- hierarchy
        cast(coalesce(department, 'UNKNOWN'), 'String') as department,
        cast(coalesce(product_category, 'UNKNOWN'), 'String') as product_category,
        cast(coalesce(product_type, 'UNKNOWN'), 'String') as product_type,
        -- attributes
        cast(brand, 'Nullable(String)') as brand,
        cast(package_size, 'Nullable(String)') as package_size,
        -- time
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
