{#-
  Every raw version of erp.products as loaded (deletion markers included, no
  history_as_of_date filter), in the staging shape of stg_erp__products plus source_row and
  is_deleted (macros/staged_records.sql): what the incremental facts read to find and
  recompute the records changed since their last run (macros/incremental.sql).
-#}
with

source as (

    select * from {{ source('erp', 'products') }}

),

final as (

    {{ staged_products('source', with_lineage=true) }}

)

select * from final
