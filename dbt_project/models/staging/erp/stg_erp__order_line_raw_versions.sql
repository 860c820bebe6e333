{#-
  Every raw version of erp.order_lines as loaded (deletion markers included, no
  history_as_of_date filter), in the staging shape of stg_erp__order_lines plus source_row and
  is_deleted (macros/staged_records.sql): what the incremental facts read to find and
  recompute the records changed since their last run (macros/incremental.sql).
-#}
with

source as (

    select * from {{ source('erp', 'order_lines') }}

),

final as (

    {{ staged_order_lines('source', with_lineage=true) }}

)

select * from final
