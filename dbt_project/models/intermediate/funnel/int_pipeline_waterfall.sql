{#-
  Each opportunity's path through the open pipeline of a period: the rows fct_pipeline_waterfall
  adds up. A period's pipeline = open opportunities (stage not won / lost) whose expected close
  date falls in the period. It is read at two business dates from the version history
  (stg_crm__opportunity_versions: the version valid on that day, i.e. as loaded by then), so
  any past period reads as it was reported: opening_date = the day before period_start,
  closing_date = period_end, or as_of_date while the period runs (int_pipeline_waterfall_windows).

  One row per (period_type, period, opportunity_id) that was in the period's pipeline at the
  opening date, or is in it at the closing date, or entered it and closed (won or lost, with
  its expected close date in the period) by the closing date:
    entry  opening   in the pipeline at opening_date
           pulled_in known at opening_date (open with its expected close elsewhere, or closed
                     and since reopened)
           new       not known at opening_date (created after it, or first loaded after it)
    exit   closing   in the pipeline at closing_date
           pushed_out open at closing_date with its expected close outside the period
           won, lost closed at closing_date (a deal gone from the CRM by then counts as lost,
                     with its opening amount; closing_amount is null)
  Amounts: the version's amount in the reporting currency at the creation date's rate (as in
  int_pipeline_snapshots), 0 when the version has none. Owner, team and region: the version's
  owner and that rep's version valid on the day, at each end.
-#}
with

windows as (

    select * from {{ ref('int_pipeline_waterfall_windows') }}

),

opportunity_versions as (

    select * from {{ ref('stg_crm__opportunity_versions') }}

),

rep_versions as (

    select * from {{ ref('stg_crm__sales_rep_versions') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

{% for side in ['opening', 'closing'] %}
at_{{ side }} as (

    select
        windows.period_type,
        windows.period,
        opportunity_versions.opportunity_id,
        opportunity_versions.owner_rep_id as rep_id,
        rep_versions.team,
        rep_versions.region,
        opportunity_versions.stage,
        opportunity_versions.stage not in ('won', 'lost') as is_open,
        coalesce(
            opportunity_versions.expected_close_date between windows.period_start and windows.period_end, false
        ) as is_due_in_period,
        coalesce(
            {{ to_reporting('opportunity_versions.amount', 'fx.rate_to_reporting') }}, cast(0 as decimal(38, 2))
        ) as amount_reporting
    from windows
    inner join opportunity_versions
        on
            {{ valid_on('opportunity_versions', 'windows.' ~ side ~ '_date') }}
            and opportunity_versions.created_date <= windows.{{ side }}_date
    left join rep_versions
        on
            opportunity_versions.owner_rep_id = rep_versions.rep_id
            and {{ valid_on('rep_versions', 'windows.' ~ side ~ '_date') }}
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'opportunity_versions.currency', 'opportunity_versions.created_date') }}

),

{% endfor %}
paired as (

    select
        coalesce(at_opening.period_type, at_closing.period_type) as period_type,
        coalesce(at_opening.period, at_closing.period) as period,
        coalesce(at_opening.opportunity_id, at_closing.opportunity_id) as opportunity_id,
        at_opening.opportunity_id is not null as is_known_at_opening,
        coalesce(at_opening.is_open and at_opening.is_due_in_period, false) as is_in_at_opening,
        coalesce(at_opening.is_open, false) as is_open_at_opening,
        at_closing.opportunity_id is not null as is_known_at_closing,
        at_closing.is_open as is_open_at_closing,
        at_closing.is_due_in_period as is_due_at_closing,
        at_closing.stage as closing_stage,
        at_opening.amount_reporting as opening_amount,
        at_closing.amount_reporting as closing_amount,
        at_opening.rep_id as opening_rep_id,
        at_opening.team as opening_team,
        at_opening.region as opening_region,
        at_closing.rep_id as closing_rep_id,
        at_closing.team as closing_team,
        at_closing.region as closing_region
    from at_opening
    full outer join at_closing
        on
            at_opening.period_type = at_closing.period_type
            and at_opening.period = at_closing.period
            and at_opening.opportunity_id = at_closing.opportunity_id

),

in_waterfall as (

    select *
    from paired
    where
        is_in_at_opening
        or (is_known_at_closing and is_open_at_closing and is_due_at_closing)
        -- entered and closed within the period: closed now, expected in the period, and not
        -- already closed at the opening date
        or (
            is_known_at_closing
            and not is_open_at_closing
            and is_due_at_closing
            and (not is_known_at_opening or is_open_at_opening)
        )

),

final as (

    select
        in_waterfall.period_type,
        in_waterfall.period,
        windows.period_start,
        windows.period_end,
        windows.opening_date,
        windows.closing_date,
        windows.is_history_complete,
        in_waterfall.opportunity_id,
        case
            when in_waterfall.is_in_at_opening then 'opening'
            when in_waterfall.is_known_at_opening then 'pulled_in'
            else 'new'
        end as entry,
        case
            when not in_waterfall.is_known_at_closing then 'lost'
            when in_waterfall.closing_stage in ('won', 'lost') then in_waterfall.closing_stage
            when in_waterfall.is_due_at_closing then 'closing'
            else 'pushed_out'
        end as exit,
        case when in_waterfall.is_in_at_opening then in_waterfall.opening_amount end as opening_amount,
        in_waterfall.closing_amount,
        in_waterfall.opening_rep_id,
        in_waterfall.opening_team,
        in_waterfall.opening_region,
        in_waterfall.closing_rep_id,
        in_waterfall.closing_team,
        in_waterfall.closing_region
    from in_waterfall
    inner join windows
        on
            in_waterfall.period_type = windows.period_type
            and in_waterfall.period = windows.period

)

select * from final
