{#-
  The rep hierarchy as it was (SCD2): one row per period of time in which a rep's team,
  region and manager stayed the same, from two inputs: the load history of sales_reps
  (stg_crm__sales_rep_versions) and the optional file rep_assignments
  (stg_crm__rep_assignments), not from dbt snapshots: both are in the warehouse, so a rebuild
  gives the same intervals whenever it runs.

  Loaded spans: a version is valid from the business date of the load that first brought its
  team / region / manager (inclusive) to that of the next version with a different one
  (exclusive). Versions that change nothing in the hierarchy are merged; deletion markers are
  ignored (the last known team stays valid); an interval emptied by a later load of the same
  business date is dropped. Versions are taken in business-date order (then load, then row),
  so a backfilled older drop loaded late slots in at its own date and spans never overlap.

  Assigned spans (rep_assignments): a row holds from effective_from (inclusive) to the
  earliest of its effective_to, the rep's next effective_from in the file and, when it has no
  effective_to, the first loaded span that starts after its effective_from (the next change
  the loads recorded); with none of these it is open-ended.

  Precedence: an assigned span is the authority for the dates it covers; the loaded spans
  hold on every other date. The earliest known span of a rep also covers everything before it
  (valid_from 0001-01-01): events before the first export or the first assignment count under
  the first team known. Adjacent spans with the same team, region and manager are merged
  (recorded_on and first_load_id from the earlier one).
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

loaded as (

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

assignments as (

    select * from {{ ref('stg_crm__rep_assignments') }}

),

assigned as (

    select
        assignments.rep_id,
        assignments.team,
        assignments.region,
        assignments.manager_id,
        assignments.load_id as first_load_id,
        assignments.recorded_on,
        case
            when
                assignments.effective_from = min(assignments.effective_from)
                    over (
                        partition by assignments.rep_id
                    )
                and assignments.effective_from < coalesce(
                    (
                        select min(loaded.recorded_on) from loaded
                        where loaded.rep_id = assignments.rep_id
                    ),
                    cast('9999-12-31' as date)
                )
                then cast('0001-01-01' as date)
            else assignments.effective_from
        end as valid_from,
        least(
            coalesce(assignments.effective_to, cast('9999-12-31' as date)),
            coalesce(
                lead(assignments.effective_from) over (
                    partition by assignments.rep_id order by assignments.effective_from
                ),
                cast('9999-12-31' as date)
            ),
            case
                when assignments.effective_to is null
                    then coalesce(
                        (
                            select min(loaded.recorded_on) from loaded
                            where
                                loaded.rep_id = assignments.rep_id
                                and loaded.recorded_on > assignments.effective_from
                        ),
                        cast('9999-12-31' as date)
                    )
                else cast('9999-12-31' as date)
            end
        ) as valid_to
    from assignments

),

spans as (

    select
        *,
        true as is_assigned
    from assigned
    where valid_from < valid_to
    union all
    select
        *,
        false as is_assigned
    from loaded
    where valid_from < valid_to

),

-- every date at which a span starts or ends cuts the rep's time into pieces
boundaries as (

    select
        rep_id,
        valid_from as boundary
    from spans
    union
    select
        rep_id,
        valid_to as boundary
    from spans

),

pieces as (

    select
        rep_id,
        boundary as piece_from,
        lead(boundary) over (partition by rep_id order by boundary) as piece_to
    from boundaries

),

-- per piece the covering span: an assigned one before a loaded one (spans of one kind never
-- overlap)
covered as (

    select
        pieces.rep_id,
        pieces.piece_from,
        pieces.piece_to,
        spans.team,
        spans.region,
        spans.manager_id,
        spans.recorded_on,
        spans.first_load_id,
        row_number() over (
            partition by pieces.rep_id, pieces.piece_from order by spans.is_assigned desc
        ) as precedence
    from pieces
    inner join spans
        on
            pieces.rep_id = spans.rep_id
            and pieces.piece_from >= spans.valid_from
            and pieces.piece_from < spans.valid_to
    where pieces.piece_to is not null

),

islands as (

    select
        *,
        sum(case when starts_span then 1 else 0 end) over (
            partition by rep_id order by piece_from
        ) as span_number
    from (
        select
            *,
            coalesce(
                piece_from != lag(piece_to) over by_date
                or team is distinct from lag(team) over by_date
                or region is distinct from lag(region) over by_date
                or manager_id is distinct from lag(manager_id) over by_date,
                true
            ) as starts_span
        from covered
        where precedence = 1
        window by_date as (partition by rep_id order by piece_from)
    ) as chosen

),

merged as (

    select
        rep_id,
        any_value(team) as team,
        any_value(region) as region,
        any_value(manager_id) as manager_id,
        min(piece_from) as valid_from,
        max(piece_to) as valid_to,
        {{ arg_min('recorded_on', 'piece_from') }} as recorded_on,
        {{ arg_min('first_load_id', 'piece_from') }} as first_load_id
    from islands
    group by rep_id, span_number

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
    from merged

)

select * from final
