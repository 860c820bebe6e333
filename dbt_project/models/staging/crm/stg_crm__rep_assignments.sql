{#-
  The rep hierarchy with effective dates as the optional file rep_assignments gives it: the
  latest version of each (rep_id, effective_from), with recorded_on, the business date of the
  load that brought that version. int_sales_rep_history applies it.
-#}
with

latest_version as (

    {{ current_versions(source('crm', 'rep_assignments'), ['rep_id', 'effective_from']) }}

),

loads as (

    select * from {{ source('meta', 'loads') }}

),

final as (

    select
        latest_version.rep_id,
        latest_version.team,
        latest_version.region,
        latest_version.manager_id,
        cast(latest_version.effective_from as date) as effective_from,
        cast(latest_version.effective_to as date) as effective_to,
        cast(loads.as_of_date as date) as recorded_on,
        latest_version._load_id as load_id
    from latest_version
    left join loads
        on latest_version._load_id = loads.load_id

)

select * from final
