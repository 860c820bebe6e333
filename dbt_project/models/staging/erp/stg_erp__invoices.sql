with

latest_version as (

    {{ current_versions(source('erp', 'invoices'), ['invoice_id']) }}

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
