with

latest_version as (

    {{ current_versions(source('crm', 'capability_scores'), ['rep_id', 'period']) }}

),

final as (

    select
        rep_id,
        period,
        cast(product_knowledge as decimal(18, 6)) as product_knowledge,
        cast(selling_skill as decimal(18, 6)) as selling_skill,
        cast(teamwork as decimal(18, 6)) as teamwork,
        _load_id as load_id
    from latest_version

)

select * from final
