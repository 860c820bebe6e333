with

latest_version as (

    {{ current_versions(source('erp', 'orders'), ['order_id']) }}

),

final as (

    {{ staged_orders('latest_version') }}

)

select * from final
