with

latest_version as (

    {{ current_versions(source('crm', 'activities'), ['activity_id']) }}

),

final as (

    {{ staged_activities('latest_version') }}

)

select * from final
