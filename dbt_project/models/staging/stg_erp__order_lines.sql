with

source as (

    select * from {{ source('erp', 'order_lines') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by order_id, line_no
        order by _load_id desc, _source_row desc
    ) = 1

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
