with

latest_version as (

    {{ current_versions(source('erp', 'order_lines'), ['order_id', 'line_no']) }}

),

final as (

    select
        order_id,
        cast(line_no as bigint) as line_no,
        product_id,
        cast(quantity as decimal(18, 6)) as quantity,
        cast(unit_price as decimal(18, 6)) as unit_price,
        cast(discount_amount as decimal(18, 6)) as discount_amount,
        _load_id as load_id
    from latest_version

)

select * from final
