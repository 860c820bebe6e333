with

latest_version as (

    {{ current_versions(source('crm', 'targets'), ['period', 'level', 'scope_id', 'metric', 'product_line']) }}

),

final as (

    select
        period,
        level,
        scope_id,
        metric,
        product_line,
        cast(target_value as decimal(18, 6)) as target_value,
        _load_id as load_id
    from latest_version

)

select * from final
