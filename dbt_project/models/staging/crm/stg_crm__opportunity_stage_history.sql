with

latest_version as (

    {{ current_versions(source('crm', 'opportunity_stage_history'), ['opportunity_id', 'stage', 'entered_at']) }}

),

final as (

    select
        opportunity_id,
        stage,
        cast(entered_at as {{ type_timestamptz() }}) as entered_at,
        {{ local_date('entered_at') }} as entered_date,
        _load_id as load_id
    from latest_version

)

select * from final
