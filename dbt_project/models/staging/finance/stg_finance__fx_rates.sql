with

latest_version as (

    {{ current_versions(source('finance', 'fx_rates'), ['rate_date', 'currency']) }}

),

final as (

    select
        cast(rate_date as date) as rate_date,
        currency,
        cast(rate_to_reporting as decimal(18, 6)) as rate_to_reporting,
        _load_id as load_id
    from latest_version

)

select * from final
