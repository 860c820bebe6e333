{{ config(materialized='table') }}

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
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

event_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type in ('order_booked', 'payment_received', 'opportunity_won', 'opportunity_lost', 'activity')

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
        max(case when targets.metric = 'revenue' then targets.target_value end) as revenue_target,
        max(case when targets.metric = 'bookings' then targets.target_value end) as won_amount_target,
        max(case when targets.metric = 'collections' then targets.target_value end) as collections_target,
        max(case when targets.metric = 'new_customers' then targets.target_value end) as new_customers_target,
        max(case when targets.metric = 'units' then targets.target_value end) as units_target,
        max(case when targets.metric = 'visits' then targets.target_value end) as visits_target,
        max(case when targets.metric = 'proposals' then targets.target_value end) as proposals_target,
        max(case when targets.metric = 'quotes' then targets.target_value end) as quotes_target
    from targets
    inner join periods
        on
            targets.period_type = periods.period_type
            and targets.period = periods.period
    where targets.product_line is null
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
        {{ attainment('quotes', 'quotes_target') }} as quotes_attainment
    from combined

)

select * from final
