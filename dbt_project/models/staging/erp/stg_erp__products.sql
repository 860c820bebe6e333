with

latest_version as (

    {{ current_versions(source('erp', 'products'), ['product_id']) }}

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
