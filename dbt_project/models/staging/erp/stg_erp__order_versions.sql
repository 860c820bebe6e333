with

versions as (

    {{ version_history(source('erp', 'orders'), ['order_id']) }}

),

final as (

    select
        order_id,
        rep_id,
        cast(ordered_at as {{ type_timestamptz() }}) as ordered_at,
        {{ local_date('ordered_at') }} as ordered_date,
        status,
        currency,
        cast(total_amount as decimal(18, 6)) as total_amount,
        valid_from_date,
        valid_to_date,
        is_deleted,
        _load_id as load_id
    from versions

)

select * from final
