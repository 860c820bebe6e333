{{ config(materialized='table') }}

{#-
  Result, process and deal KPIs per period (month | quarter | year) and level (company | region
  | team | rep), with the targets of every metric and their attainment. Revenue, orders, units,
  new customers and collections go to the rep on the order; won, lost, deal size and cycle to
  the opportunity owner; activities to their rep. Team and region are those the rep was in on
  the event's own date (int_sales_rep_history): order date for revenue / orders / units / new
  customers (resolved in int_orders_enriched), close date for won / lost (resolved in
  int_opportunities_enriched), payment date for collections and activity date for activities
  (joined here). Only events with local date <= as_of_date. A (period, scope) has a row when it
  has an event (order, payment, close, activity) or a target of any metric (all product lines),
  with zeros (not nulls) for counts and sums; a period without either has no row (read as zero).
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

activities as (

    select * from {{ ref('int_activities') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

targets as (

    select * from {{ ref('int_targets') }}

),

order_units as (

    select
        order_id,
        sum(quantity) as units
    from order_lines
    group by order_id

),

order_events as (

    select
        orders.rep_id,
        orders.team,
        orders.region,
        orders.ordered_date as event_date,
        orders.total_amount_reporting as revenue,
        cast(null as decimal(18, 2)) as collections,
        1 as orders,
        order_units.units,
        case when orders.is_first_order then 1 else 0 end as new_customers,
        0 as won,
        0 as lost,
        cast(null as decimal(18, 2)) as won_amount,
        cast(null as bigint) as won_cycle_seconds,
        cast(null as varchar) as activity_type
    from orders
    left join order_units
        on orders.order_id = order_units.order_id
    where
        orders.is_booked
        and orders.ordered_date <= {{ as_of_date() }}

),

payment_events as (

    select
        payments.rep_id,
        rep_history.team,
        rep_history.region,
        payments.paid_date as event_date,
        cast(null as decimal(18, 2)) as revenue,
        payments.amount_reporting as collections,
        0 as orders,
        cast(null as decimal(18, 6)) as units,
        0 as new_customers,
        0 as won,
        0 as lost,
        cast(null as decimal(18, 2)) as won_amount,
        cast(null as bigint) as won_cycle_seconds,
        cast(null as varchar) as activity_type
    from payments
    left join rep_history
        on {{ rep_history_at('rep_history', 'payments.rep_id', 'payments.paid_date') }}
    where payments.paid_date <= {{ as_of_date() }}

),

close_events as (

    select
        owner_rep_id as rep_id,
        team,
        region,
        close_date as event_date,
        cast(null as decimal(18, 2)) as revenue,
        cast(null as decimal(18, 2)) as collections,
        0 as orders,
        cast(null as decimal(18, 6)) as units,
        0 as new_customers,
        case when is_won then 1 else 0 end as won,
        case when is_lost then 1 else 0 end as lost,
        case when is_won then amount_reporting end as won_amount,
        case when is_won then sales_cycle_seconds end as won_cycle_seconds,
        cast(null as varchar) as activity_type
    from opportunities
    where
        (is_won or is_lost)
        and close_date <= {{ as_of_date() }}

),

activity_events as (

    select
        activities.rep_id,
        rep_history.team,
        rep_history.region,
        activities.occurred_date as event_date,
        cast(null as decimal(18, 2)) as revenue,
        cast(null as decimal(18, 2)) as collections,
        0 as orders,
        cast(null as decimal(18, 6)) as units,
        0 as new_customers,
        0 as won,
        0 as lost,
        cast(null as decimal(18, 2)) as won_amount,
        cast(null as bigint) as won_cycle_seconds,
        activities.type as activity_type
    from activities
    left join rep_history
        on {{ rep_history_at('rep_history', 'activities.rep_id', 'activities.occurred_date') }}
    where activities.occurred_date <= {{ as_of_date() }}

),

events as (

    select * from order_events
    union all
    select * from payment_events
    union all
    select * from close_events
    union all
    select * from activity_events

),

levels as (

    select 'company' as level
    union all
    select 'region' as level
    union all
    select 'team' as level
    union all
    select 'rep' as level

),

scoped_events as (

    select
        periods.period_type,
        periods.period,
        levels.level,
        case levels.level
            when 'company' then 'all'
            when 'region' then events.region
            when 'team' then events.team
            when 'rep' then events.rep_id
        end as scope_id,
        events.*
    from events
    inner join periods
        on events.event_date between periods.period_start and periods.period_end
    cross join levels

),

metrics as (

    select
        period_type,
        period,
        level,
        scope_id,
        sum(revenue) as revenue,
        sum(collections) as collections,
        sum(orders) as orders,
        -- orders with a reporting amount (an order without an fx rate has no revenue yet)
        count(revenue) as priced_orders,
        sum(units) as units,
        sum(new_customers) as new_customers,
        sum(won) as won,
        sum(lost) as lost,
        sum(won_amount) as won_amount,
        count(won_amount) as won_amount_count,
        -- integer seconds: the mean of a BIGINT is summed exactly, so reruns give identical bits
        avg(won_cycle_seconds) / 86400.0 as avg_sales_cycle_days,
        median(won_cycle_seconds) / 86400.0 as median_sales_cycle_days,
        count(*) filter (where activity_type = 'visit') as visits,
        count(*) filter (where activity_type = 'call') as calls,
        count(*) filter (where activity_type = 'demo') as demos,
        count(*) filter (where activity_type = 'proposal') as proposals,
        count(*) filter (where activity_type = 'quote') as quotes
    from scoped_events
    where scope_id is not null
    group by period_type, period, level, scope_id

),

targets_in_periods as (

    select
        targets.period_type,
        targets.period,
        targets.level,
        targets.scope_id,
        max(case when targets.metric = 'revenue' then targets.target_value end) as revenue_target,
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
        cast(coalesce(metrics.revenue, 0) as decimal(18, 2)) as revenue,
        cast(coalesce(metrics.collections, 0) as decimal(18, 2)) as collections,
        cast(coalesce(metrics.orders, 0) as bigint) as orders,
        cast(coalesce(metrics.priced_orders, 0) as bigint) as priced_orders,
        cast(coalesce(metrics.units, 0) as decimal(18, 6)) as units,
        cast(coalesce(metrics.new_customers, 0) as bigint) as new_customers,
        metrics.won_amount,
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
        {{ divide_decimal('won_amount', 'won_amount_count', 2) }} as avg_deal_size,
        avg_sales_cycle_days,
        median_sales_cycle_days,
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
