with

source as (

    select * from {{ source('crm', 'opportunity_stage_history') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by opportunity_id, stage, entered_at
        order by _load_id desc, _source_row desc
    ) = 1

),

final as (

    select
        opportunity_id,
        stage,
        cast(entered_at as timestamptz) as entered_at,
        {{ local_date('entered_at') }} as entered_date,
        _load_id as load_id
    from latest_version

)

select * from final
