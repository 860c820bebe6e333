with

source as (

    select * from {{ source('crm', 'sales_reps') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by rep_id
        order by _load_id desc, _source_row desc
    ) = 1

),

final as (

    select
        rep_id,
        rep_name,
        email,
        team,
        region,
        manager_id,
        role,
        cast(hired_on as date) as hired_on,
        cast(left_on as date) as left_on,
        _load_id as load_id
    from latest_version

)

select * from final
