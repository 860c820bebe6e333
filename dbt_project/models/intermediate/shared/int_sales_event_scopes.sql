{{
    config(
        materialized=incremental_materialization(),
        unique_key=['event_type', 'event_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['incremental_fact'],
        pre_hook="{{ incremental_fact_history_reset() }}",
        post_hook="{{ incremental_fact_drop_tombstones() }}"
    )
}}

{#-
  The period x organisation fan-out of int_sales_events, done once for every mart that counts
  events per period and scope: each event once for every spine period (int_periods: month,
  quarter and year) whose dates contain its event_date, and once for each level it counts for
  (macro scope_levels): the company ('all'), the region and team of its attribution, and its
  rep. A level whose scope is null (a rep without a team that day, an event without a rep) is
  left out, so such an event counts for the levels it has. One row per (event_type, event_id,
  period_type, level), with every column of the event. Read by seven models.

  Incremental per event (macros/incremental_event_scopes.sql): a run recomputes the events whose
  int_sales_events row changed, appeared or went away since their rows were written, and those
  around a moved start of the period spine. Rows carry processed_load_id (the load of the run
  that wrote them) and processed_spine_from (that run's first spine day).
-#}
with

{% if incremental_fact_active() -%}
{{ incremental_event_scopes_ctes(ref('int_sales_events'), ref('int_periods')) }}
{%- endif %}

events as (

    {% if incremental_fact_active() -%}
    select * from fresh_events
    where {{ in_changed_events('fresh_events') }}
    {%- else -%}
    select * from {{ ref('int_sales_events') }}
    {%- endif %}

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

    select
        *,
        {{ fact_load_stamp() }} as processed_load_id,
        {{ spine_start('periods') }} as processed_spine_from
    from scoped
    where scope_id is not null
    {%- if incremental_fact_active() %}
    union all by name
    {{ incremental_event_tombstones() }}
    {%- endif %}

)

select * from final
