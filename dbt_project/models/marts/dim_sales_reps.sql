with

sales_reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

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
        hired_on,
        left_on,
        coalesce(hired_on <= {{ as_of_date() }}, true)
        and coalesce(left_on > {{ as_of_date() }}, true) as is_active
    from sales_reps

)

select * from final
