with

latest_version as (

    {{ current_versions(source('finance', 'payments'), ['payment_id']) }}

),

final as (

    {{ staged_payments('latest_version') }}

)

select * from final
