with

sales_reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}
    where is_current

),

final as (

    select
        sales_reps.rep_id,
        sales_reps.rep_name,
        sales_reps.email,
        sales_reps.team,
        sales_reps.region,
        sales_reps.manager_id,
        sales_reps.role,
        sales_reps.hired_on,
        sales_reps.left_on,
        coalesce(sales_reps.hired_on <= {{ as_of_date() }}, true)
        and coalesce(sales_reps.left_on > {{ as_of_date() }}, true) as is_active,
        rep_history.valid_from as hierarchy_valid_from
    from sales_reps
    left join rep_history
        on sales_reps.rep_id = rep_history.rep_id

)

select * from final
