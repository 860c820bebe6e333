with

source as (

    select * from {{ source('erp', 'products') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by product_id
        order by _load_id desc, _source_row desc
    ) = 1

),

final as (

    select
        product_id,
        product_name,
        product_line,
        cast(list_price as decimal(18, 6)) as list_price,
        _load_id as load_id
    from latest_version

)

select * from final
