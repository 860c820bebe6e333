with

source as (

    select * from {{ source('erp', 'invoices') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by invoice_id
        order by _load_id desc, _source_row desc
    ) = 1

),

final as (

    select
        invoice_id,
        order_id,
        cast(issued_at as date) as issued_at,
        cast(due_date as date) as due_date,
        cast(amount as decimal(18, 6)) as amount,
        currency,
        _load_id as load_id
    from latest_version

)

select * from final
