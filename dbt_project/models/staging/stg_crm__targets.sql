with

source as (

    select * from {{ source('crm', 'targets') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by period, level, scope_id, metric, product_line
        order by _load_id desc, _source_row desc
    ) = 1

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
