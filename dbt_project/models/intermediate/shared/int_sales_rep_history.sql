{#-
  The rep hierarchy as it was (SCD2): one row per period of time in which a rep's team,
  region and manager stayed the same, derived from the load history of sales_reps
  (stg_crm__sales_rep_versions), not from dbt snapshots: the versions and their load dates are
  in the warehouse, so a rebuild gives the same intervals whenever it runs.

  A version is valid from the business date of the load that first brought its team / region
  / manager (inclusive) to that of the next version with a different one (exclusive). The
  first known version also covers everything before it (valid_from 0001-01-01): events before
  the first export count under the team the rep was first seen in. Versions that change
  nothing in the hierarchy are merged; deletion markers are ignored (the last known team stays
  valid); an interval emptied by a later load of the same business date is dropped. Versions
  are taken in business-date order (then load, then row), so a backfilled older drop loaded
  late slots in at its own date and spans never overlap.
-#}
with

versions as (

    select * from {{ ref('stg_crm__sales_rep_versions') }}
    where not is_deleted

),

compared as (

    select
        *,
        lag(team) over by_load as previous_team,
        lag(region) over by_load as previous_region,
        lag(manager_id) over by_load as previous_manager_id,
        row_number() over by_load as version_number
    from versions
    window by_load as (partition by rep_id order by valid_from_date, load_id, source_row)

),

changes as (

    select
        rep_id,
        team,
        region,
        manager_id,
        load_id,
        source_row,
        valid_from_date,
        version_number
    from compared
    where
        version_number = 1
        or team is distinct from previous_team
        or region is distinct from previous_region
        or manager_id is distinct from previous_manager_id

),

intervals as (

    select
        rep_id,
        team,
        region,
        manager_id,
        load_id as first_load_id,
        valid_from_date as recorded_on,
        case
            when version_number = 1 then cast('0001-01-01' as date)
            else valid_from_date
        end as valid_from,
        coalesce(
            lead(valid_from_date) over (
                partition by rep_id order by valid_from_date, load_id, source_row
            ),
            cast('9999-12-31' as date)
        ) as valid_to
    from changes

),

final as (

    select
        rep_id,
        team,
        region,
        manager_id,
        valid_from,
        valid_to,
        valid_to = cast('9999-12-31' as date) as is_current,
        recorded_on,
        first_load_id
    from intervals
    where valid_from < valid_to

)

select * from final
