with

source as (

    select * from {{ source('crm', 'capability_scores') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by rep_id, period
        order by _load_id desc, _source_row desc
    ) = 1

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
