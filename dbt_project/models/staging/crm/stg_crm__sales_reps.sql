with

latest_version as (

    {{ current_versions(source('crm', 'sales_reps'), ['rep_id']) }}

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
