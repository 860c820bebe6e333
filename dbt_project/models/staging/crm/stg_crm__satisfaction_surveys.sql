with

latest_version as (

    {{ current_versions(source('crm', 'satisfaction_surveys'), ['account_id', 'surveyed_at']) }}

),

final as (

    select
        account_id,
        cast(surveyed_at as date) as surveyed_at,
        cast(score as decimal(18, 6)) as score,
        _load_id as load_id
    from latest_version

)

select * from final
