with

latest_version as (

    {{ current_versions(source('erp', 'invoices'), ['invoice_id']) }}

),

final as (

    {{ staged_invoices('latest_version') }}

)

select * from final
