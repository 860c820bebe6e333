with

latest_version as (

    {{ current_versions(source('finance', 'marketing_spend'), ['period', 'level', 'scope_id', 'channel']) }}

),

final as (

    select
        period,
        level,
        scope_id,
        channel,
        cast(amount as decimal(18, 6)) as amount,
        currency,
        _load_id as load_id
    from latest_version

)

select * from final
