with source as (
    select * from {{ lake_source('transactions') }}
),

renamed as (
    select
        -- ids
        cast(household_id, 'Int64') as household_id,
        cast(basket_id, 'Int64') as basket_id,
        cast(product_id, 'Int64') as product_id,
        cast(store_id, 'Int64') as store_id,
        -- measures
        cast(quantity, 'Int64') as quantity,
        cast(sales_value, 'Decimal(18, 2)') as sales_value,
        cast(retail_disc, 'Decimal(18, 2)') as retail_discount,
        cast(coupon_disc, 'Decimal(18, 2)') as coupon_discount,
        cast(coupon_match_disc, 'Decimal(18, 2)') as coupon_match_discount,
        -- time
        cast(week, 'Int32') as week,
        cast(transaction_timestamp, 'DateTime64(6)') as transaction_at,
        cast(_ingested_at, 'DateTime64(6)') as ingested_at
    from source
)

select * from renamed
