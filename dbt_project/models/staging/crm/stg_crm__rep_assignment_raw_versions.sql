{#-
  Every raw version of crm.rep_assignments as loaded (no history_as_of_date filter): the reps
  whose hierarchy file rows a load changed, which the incremental facts recompute
  (macros/incremental.sql), as they do for a new sales_reps version.
-#}
with

source as (

    select * from {{ source('crm', 'rep_assignments') }}

),

final as (

    select
        rep_id,
        _load_id as load_id,
        _source_row as source_row
    from source

)

select * from final
