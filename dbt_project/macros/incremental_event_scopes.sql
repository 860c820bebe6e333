{#-
  Incremental int_sales_event_scopes: the design of the incremental facts (macros/incremental.sql)
  applied per event, key (event_type, event_id). An event's rows (one per spine period containing
  its date and level it counts for) depend only on its int_sales_events row and on which periods
  the spine int_periods holds around its date. An incremental run therefore compares every
  current event (int_sales_events, computed in full: cheap next to the fan-out) with the event
  as its stored rows carry it, and recomputes, with delete+insert on (event_type, event_id):

  - every event whose row differs or that is new: a changed or re-dated record, a changed
    amount, fx rate, first-order flag or lead source, a scope attribution that moved (a rep
    moving team, a rep_assignments row, a new sales_reps version, an open opportunity
    attributed at the moving as_of_date), an event entering the as_of_date cut;
  - every stored event no longer current (deleted, cancelled, superseded, or out of the cut):
    a key-only tombstone row (processed_load_id null) deletes its rows and the post-hook
    incremental_fact_drop_tombstones the tombstone;
  - every event dated before the later of the first spine day its rows were written with
    (processed_spine_from) and this run's, when the two differ: the spine gained or lost the
    periods around it (an earlier or removed first event).

  The stored event is read from its company row of the year period (an event with any row has
  that one: a fiscal year holds whole quarters and months); an event without stored rows (dated
  outside the spine) compares as new and is recomputed every night, which is only slower.
  Comparing in full needs no watermark, so a run is right whatever ran before it;
  processed_load_id still stamps the run that wrote each row.
-#}

{#- The columns of int_sales_events, in its order: the event as int_sales_event_scopes copies
    it onto each of its rows. -#}
{% macro sales_event_columns() -%}
    {{ return([
        'event_type', 'event_id', 'event_date', 'rep_id', 'team', 'region', 'amount_reporting',
        'units', 'is_first_order', 'sales_cycle_seconds', 'activity_type', 'is_converted',
        'lead_source', 'sales_channel',
    ]) }}
{%- endmacro %}

{#- CTEs (each followed by a comma) an incremental run of int_sales_event_scopes adds before its
    own, ending with changed_events (event_type, event_id): the events to recompute, those to
    delete included. `events`: int_sales_events; `periods`: int_periods. -#}
{% macro incremental_event_scopes_ctes(events, periods) -%}
{%- set columns = sales_event_columns() | join(', ') %}
stored_events as (
    select {{ columns }}, processed_spine_from from {{ this }}
    where period_type = 'year' and level = 'company' and processed_load_id is not null
),

fresh_events as (
    select {{ columns }} from {{ events }}
),

changed_events as (
    select event_type, event_id from (
        select {{ columns }} from fresh_events
        except
        select {{ columns }} from stored_events
    ) as new_or_changed
    union
    select event_type, event_id from (
        select {{ columns }} from stored_events
        except
        select {{ columns }} from fresh_events
    ) as changed_or_gone
    union
    select event_type, event_id from stored_events
    where
        processed_spine_from != {{ spine_start(periods) }}
        and event_date < greatest(processed_spine_from, {{ spine_start(periods) }})
),
{%- endmacro %}

{#- Condition: the event (columns of `alias`) is in CTE changed_events. -#}
{% macro in_changed_events(alias) -%}
({{ alias }}.event_type, {{ alias }}.event_id) in (select (event_type, event_id) from changed_events)
{%- endmacro %}

{#- Key-only rows (processed_load_id null) for every recomputed event. -#}
{% macro incremental_event_tombstones() -%}
select event_type, event_id from changed_events
{%- endmacro %}
