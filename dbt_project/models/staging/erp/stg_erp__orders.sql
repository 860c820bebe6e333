with

latest_version as (

    {{ current_versions(source('erp', 'orders'), ['order_id']) }}

),

final as (

    select
        order_id,
        account_id,
        opportunity_id,
        rep_id,
        cast(ordered_at as timestamptz) as ordered_at,
        {{ local_date('ordered_at') }} as ordered_date,
        status,
        currency,
        cast(total_amount as decimal(18, 6)) as total_amount,
        channel,
        cast(payment_terms_days as bigint) as payment_terms_days,
        cast(delivered_at as timestamptz) as delivered_at,
        {{ local_date('delivered_at') }} as delivered_date,
        _load_id as load_id
    from latest_version

)

select * from final
