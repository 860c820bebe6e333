with

versions as (

    {{ version_history(source('crm', 'sales_reps'), ['rep_id']) }}

),

final as (

    select
        rep_id,
        team,
        region,
        valid_from_date,
        valid_to_date,
        is_deleted,
        _load_id as load_id
    from versions

)

select * from final
