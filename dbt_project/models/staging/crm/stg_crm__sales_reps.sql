with

latest_version as (

    {{ current_versions(source('crm', 'sales_reps'), ['rep_id']) }}

),

final as (

    {{ staged_sales_reps('latest_version') }}

)

select * from final
