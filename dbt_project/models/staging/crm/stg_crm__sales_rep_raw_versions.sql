{#-
  Every raw version of crm.sales_reps as loaded (deletion markers included, no
  history_as_of_date filter), in the staging shape of stg_crm__sales_reps plus source_row and
  is_deleted (macros/staged_records.sql): what the incremental facts read to find and
  recompute the records changed since their last run (macros/incremental.sql).
-#}
with

source as (

    select * from {{ source('crm', 'sales_reps') }}

),

final as (

    {{ staged_sales_reps('source', with_lineage=true) }}

)

select * from final
