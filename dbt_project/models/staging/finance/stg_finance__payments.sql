with

latest_version as (

    {{ current_versions(source('finance', 'payments'), ['payment_id']) }}

),

final as (

    select
        payment_id,
        order_id,
        invoice_id,
        cast(paid_at as timestamptz) as paid_at,
        {{ local_date('paid_at') }} as paid_date,
        cast(amount as decimal(18, 6)) as amount,
        currency,
        method,
        reference,
        _load_id as load_id
    from latest_version

)

select * from final
