{#-
  Every loaded version of every sales rep (raw.sales_reps keeps them all) with the business
  dates it was valid on (macro version_history): the input of the rep hierarchy as it was
  (int_sales_rep_history) and of the daily pipeline snapshots. With var history_as_of_date
  only loads on or before that date count, exactly as in current_versions.
-#}
with

versions as (

    {{ version_history(source('crm', 'sales_reps'), ['rep_id']) }}

),

final as (

    select
        rep_id,
        rep_name,
        team,
        region,
        manager_id,
        role,
        cast(hired_on as date) as hired_on,
        cast(left_on as date) as left_on,
        valid_from_date,
        valid_to_date,
        is_deleted,
        _load_id as load_id,
        _source_row as source_row
    from versions

)

select * from final
