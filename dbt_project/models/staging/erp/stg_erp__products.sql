with

latest_version as (

    {{ current_versions(source('erp', 'products'), ['product_id']) }}

),

final as (

    {{ staged_products('latest_version') }}

)

select * from final
