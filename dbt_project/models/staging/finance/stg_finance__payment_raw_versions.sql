{#-
  Every raw version of finance.payments as loaded (deletion markers included, no
  history_as_of_date filter), in the staging shape of stg_finance__payments plus source_row and
  is_deleted (macros/staged_records.sql): what the incremental facts read to find and
  recompute the records changed since their last run (macros/incremental.sql).
-#}
with

source as (

    select * from {{ source('finance', 'payments') }}

),

final as (

    {{ staged_payments('source', with_lineage=true) }}

)

select * from final
