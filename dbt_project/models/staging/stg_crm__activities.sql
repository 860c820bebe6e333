with

source as (

    select * from {{ source('crm', 'activities') }}

),

latest_version as (

    select *
    from source
    qualify row_number() over (
        partition by activity_id
        order by _load_id desc, _source_row desc
    ) = 1

),

final as (

    select
        activity_id,
        rep_id,
        account_id,
        opportunity_id,
        type,
        cast(occurred_at as timestamptz) as occurred_at,
        {{ local_date('occurred_at') }} as occurred_date,
        _load_id as load_id
    from latest_version

)

select * from final
