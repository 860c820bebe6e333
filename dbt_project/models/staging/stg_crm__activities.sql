with

latest_version as (

    {{ current_versions(source('crm', 'activities'), ['activity_id']) }}

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
