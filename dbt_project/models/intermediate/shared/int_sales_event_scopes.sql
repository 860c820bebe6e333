{{ config(materialized='table') }}

{#-
  The period x organisation fan-out of int_sales_events, done once for every mart that counts
  events per period and scope: each event once for every spine period (int_periods: month,
  quarter and year) whose dates contain its event_date, and once for each level it counts for
  (macro scope_levels): the company ('all'), the region and team of its attribution, and its
  rep. A level whose scope is null (a rep without a team that day, an event without a rep) is
  left out, so such an event counts for the levels it has. One row per (event_type, event_id,
  period_type, level), with every column of the event. A table: read by seven models.
-#}
with

events as (

    select * from {{ ref('int_sales_events') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

levels as (

    {{ scope_levels() }}

),

scoped as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        levels.level,
        {{ scope_id_for('levels.level', 'events.rep_id', 'events.team', 'events.region') }} as scope_id,
        events.event_type,
        events.event_id,
        events.event_date,
        events.rep_id,
        events.team,
        events.region,
        events.amount_reporting,
        events.units,
        events.is_first_order,
        events.sales_cycle_seconds,
        events.activity_type,
        events.is_converted,
        events.lead_source,
        events.sales_channel
    from events
    inner join periods
        on events.event_date between periods.period_start and periods.period_end
    cross join levels

),

final as (

    select * from scoped
    where scope_id is not null

)

select * from final
