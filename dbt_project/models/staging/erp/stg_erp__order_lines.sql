with

latest_version as (

    {{ current_versions(source('erp', 'order_lines'), ['order_id', 'line_no']) }}

),

final as (

    {{ staged_order_lines('latest_version') }}

)

select * from final
