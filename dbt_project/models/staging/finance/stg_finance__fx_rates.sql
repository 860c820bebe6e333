with

latest_version as (

    {{ current_versions(source('finance', 'fx_rates'), ['rate_date', 'currency']) }}

),

final as (

    {{ staged_fx_rates('latest_version') }}

)

select * from final
