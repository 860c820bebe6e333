with

latest_version as (

    {{ current_versions(source('crm', 'accounts'), ['account_id']) }}

),

final as (

    select
        account_id,
        account_name,
        industry,
        size_band,
        region,
        channel,
        owner_rep_id,
        cast(created_at as {{ type_timestamptz() }}) as created_at,
        {{ local_date('created_at') }} as created_date,
        phone,
        email,
        _load_id as load_id
    from latest_version

)

select * from final
