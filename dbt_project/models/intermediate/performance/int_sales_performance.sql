{{
    config(
        materialized=incremental_materialization(),
        unique_key=['period_type', 'period'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['incremental_fact'],
        pre_hook="{{ incremental_fact_history_reset() }}",
        post_hook="{{ incremental_fact_drop_tombstones() }}"
    )
}}

{#-
  Result, process and deal KPIs per period (month | quarter | year) and level (company | region
  | team | rep), with the targets of every metric and their attainment: the rows
  fct_sales_performance publishes. The events and the organisation they count for come from
  int_sales_event_scopes (int_sales_events): revenue, orders, units and new customers from the
  booked orders (rep on the order, team and region at the order date); collections from the
  payments (rep on the order, team and region at the order date); won, lost, deal size and
  cycle from the closed opportunities (owner, team and region at the close date), with
  won_amount (bookings: the won amounts, target metric 'bookings'); activities
  (their rep, team and region at the activity date). Only events with local date <=
  as_of_date. A (period, scope) has a row when it has an event (order, payment, close,
  activity) or a target of any metric (all product lines), with zeros (not nulls) for counts
  and sums; a period with neither has no row (read as zero).

  Incremental by period (macros/incremental_periods.sql): a run recomputes the periods touched
  since its last run: the dates of orders (their lines: units), payments and activities
  rewritten or changed (old and new date: a record moved or deleted clears its old period; a
  rep move or a hierarchy file row rewrites the rep's orders and payments and touches the
  dates of the rep's activities), the days between the previous and this as_of_date and
  between the previous and this first day of the period spine, and the
  periods whose opportunity figures or targets differ from the stored row.
-#}
{#- The raw-versions models the incremental path reads, named here unconditionally so that dbt
    records the dependency. -#}
{%- set raw_versions = {
    'orders': ref('stg_erp__order_raw_versions'),
    'order_lines': ref('stg_erp__order_line_raw_versions'),
    'payments': ref('stg_finance__payment_raw_versions'),
    'activities': ref('stg_crm__activity_raw_versions'),
    'sales_reps': ref('stg_crm__sales_rep_raw_versions'),
    'rep_assignments': ref('stg_crm__rep_assignment_raw_versions'),
} -%}
{%- set facts = {
    'orders': ref('int_orders_enriched'),
    'payments': ref('int_payments_enriched'),
    'activities': ref('int_activities'),
} -%}
with

{% if incremental_fact_active() -%}
{{ incremental_sales_performance_ctes(raw_versions, facts, ref('int_periods'), ref('int_sales_event_scopes'), ref('int_targets')) }}
{%- endif %}

periods as (

    select * from {{ ref('int_periods') }}

),

event_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where
        event_type in ('order_booked', 'payment_received', 'opportunity_won', 'opportunity_lost', 'activity')
        and {{ in_touched_periods_if_incremental() }}

),

targets as (

    select * from {{ ref('int_targets') }}

),

metrics as (

    select
        period_type,
        period,
        level,
        scope_id,
        sum(amount_reporting) filter (where event_type = 'order_booked') as revenue,
        sum(amount_reporting) filter (where event_type = 'payment_received') as collections,
        count(*) filter (where event_type = 'order_booked') as orders,
        -- orders with a reporting amount (an order without an fx rate has no revenue yet)
        count(amount_reporting) filter (where event_type = 'order_booked') as priced_orders,
        sum(units) filter (where event_type = 'order_booked') as units,
        count(*) filter (where event_type = 'order_booked' and is_first_order) as new_customers,
        count(*) filter (where event_type = 'opportunity_won') as won,
        count(*) filter (where event_type = 'opportunity_lost') as lost,
        sum(amount_reporting) filter (where event_type = 'opportunity_won') as won_amount,
        count(amount_reporting) filter (where event_type = 'opportunity_won') as won_amount_count,
        -- integer seconds: the mean of a BIGINT is summed exactly, so reruns give identical bits
        avg(sales_cycle_seconds) filter (where event_type = 'opportunity_won') / 86400.0
            as avg_sales_cycle_days,
        median(sales_cycle_seconds) filter (where event_type = 'opportunity_won') / 86400.0
            as median_sales_cycle_days,
        count(*) filter (where activity_type = 'visit') as visits,
        count(*) filter (where activity_type = 'call') as calls,
        count(*) filter (where activity_type = 'demo') as demos,
        count(*) filter (where activity_type = 'proposal') as proposals,
        count(*) filter (where activity_type = 'quote') as quotes
    from event_scopes
    group by period_type, period, level, scope_id

),

targets_in_periods as (

    select
        targets.period_type,
        targets.period,
        targets.level,
        targets.scope_id,
        {{ sales_performance_target_figures('targets') }}
    from targets
    inner join periods
        on
            targets.period_type = periods.period_type
            and targets.period = periods.period
    where
        targets.product_line is null
        and {{ in_touched_periods_if_incremental('targets') }}
    group by targets.period_type, targets.period, targets.level, targets.scope_id

),

scopes as (

    select
        period_type,
        period,
        level,
        scope_id
    from metrics

    union

    select
        period_type,
        period,
        level,
        scope_id
    from targets_in_periods

),

combined as (

    select
        scopes.period_type,
        scopes.period,
        periods.period_start,
        periods.period_end,
        scopes.level,
        scopes.scope_id,
        cast(coalesce(metrics.revenue, 0) as decimal(38, 2)) as revenue,
        cast(coalesce(metrics.collections, 0) as decimal(38, 2)) as collections,
        cast(coalesce(metrics.orders, 0) as bigint) as orders,
        cast(coalesce(metrics.priced_orders, 0) as bigint) as priced_orders,
        cast(coalesce(metrics.units, 0) as decimal(38, 6)) as units,
        cast(coalesce(metrics.new_customers, 0) as bigint) as new_customers,
        metrics.won_amount as won_amount_priced,
        cast(coalesce(metrics.won_amount, 0) as decimal(38, 2)) as won_amount,
        metrics.won_amount_count,
        cast(coalesce(metrics.won, 0) as bigint) as won,
        cast(coalesce(metrics.lost, 0) as bigint) as lost,
        metrics.avg_sales_cycle_days,
        metrics.median_sales_cycle_days,
        cast(coalesce(metrics.visits, 0) as bigint) as visits,
        cast(coalesce(metrics.calls, 0) as bigint) as calls,
        cast(coalesce(metrics.demos, 0) as bigint) as demos,
        cast(coalesce(metrics.proposals, 0) as bigint) as proposals,
        cast(coalesce(metrics.quotes, 0) as bigint) as quotes,
        targets_in_periods.revenue_target,
        targets_in_periods.won_amount_target,
        targets_in_periods.collections_target,
        targets_in_periods.new_customers_target,
        targets_in_periods.units_target,
        targets_in_periods.visits_target,
        targets_in_periods.proposals_target,
        targets_in_periods.quotes_target
    from scopes
    inner join periods
        on
            scopes.period_type = periods.period_type
            and scopes.period = periods.period
    left join metrics
        on
            scopes.period_type = metrics.period_type
            and scopes.period = metrics.period
            and scopes.level = metrics.level
            and scopes.scope_id = metrics.scope_id
    left join targets_in_periods
        on
            scopes.period_type = targets_in_periods.period_type
            and scopes.period = targets_in_periods.period
            and scopes.level = targets_in_periods.level
            and scopes.scope_id = targets_in_periods.scope_id

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        revenue,
        collections,
        orders,
        new_customers,
        {{ divide_decimal('revenue', 'priced_orders', 2) }} as avg_order_value,
        revenue_target,
        {{ attainment('revenue', 'revenue_target') }} as revenue_attainment,
        won,
        lost,
        case when won + lost > 0 then cast(won as double) / cast(won + lost as double) end as win_rate,
        {{ divide_decimal('won_amount_priced', 'won_amount_count', 2) }} as avg_deal_size,
        avg_sales_cycle_days,
        median_sales_cycle_days,
        won_amount,
        won_amount_target,
        {{ attainment('won_amount', 'won_amount_target') }} as won_amount_attainment,
        collections_target,
        {{ attainment('collections', 'collections_target') }} as collections_attainment,
        new_customers_target,
        {{ attainment('new_customers', 'new_customers_target') }} as new_customers_attainment,
        units,
        units_target,
        {{ attainment('units', 'units_target') }} as units_attainment,
        visits,
        calls,
        demos,
        proposals,
        quotes,
        visits_target,
        {{ attainment('visits', 'visits_target') }} as visits_attainment,
        proposals_target,
        {{ attainment('proposals', 'proposals_target') }} as proposals_attainment,
        quotes_target,
        {{ attainment('quotes', 'quotes_target') }} as quotes_attainment,
        {{ fact_load_stamp() }} as processed_load_id,
        {{ as_of_date() }} as processed_as_of_date,
        {{ spine_start('periods') }} as processed_spine_from
    from combined
    {%- if incremental_fact_active() %}
    union all by name
    {{ incremental_period_tombstones() }}
    {%- endif %}

)

select * from final
