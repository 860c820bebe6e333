{#-
  Result and deal KPIs per period (month | quarter | year) and level (company | region | team |
  rep). Revenue, orders, new customers and collections go to the rep on the order (and that
  rep's current team and region); won, lost, deal size and cycle to the opportunity owner.
  Only events with local date <= as_of_date. A (period, scope) has a row when it has an
  event (order, payment, close) or a revenue target, with zeros (not nulls) for counts and
  sums; a period without either has no row (read as zero).
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

revenue_targets as (

    select * from {{ ref('int_revenue_targets') }}

),

order_events as (

    select
        rep_id,
        team,
        region,
        ordered_date as event_date,
        total_amount_reporting as revenue,
        cast(null as decimal(18, 2)) as collections,
        1 as orders,
        case when is_first_order then 1 else 0 end as new_customers,
        0 as won,
        0 as lost,
        cast(null as decimal(18, 2)) as won_amount,
        cast(null as bigint) as won_cycle_seconds
    from orders
    where
        is_booked
        and ordered_date <= {{ as_of_date() }}

),

payment_events as (

    select
        rep_id,
        team,
        region,
        paid_date as event_date,
        cast(null as decimal(18, 2)) as revenue,
        amount_reporting as collections,
        0 as orders,
        0 as new_customers,
        0 as won,
        0 as lost,
        cast(null as decimal(18, 2)) as won_amount,
        cast(null as bigint) as won_cycle_seconds
    from payments
    where paid_date <= {{ as_of_date() }}

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
        0 as new_customers,
        case when is_won then 1 else 0 end as won,
        case when is_lost then 1 else 0 end as lost,
        case when is_won then amount_reporting end as won_amount,
        case when is_won then sales_cycle_seconds end as won_cycle_seconds
    from opportunities
    where
        (is_won or is_lost)
        and close_date <= {{ as_of_date() }}

),

events as (

    select * from order_events
    union all
    select * from payment_events
    union all
    select * from close_events

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
        sum(new_customers) as new_customers,
        sum(won) as won,
        sum(lost) as lost,
        sum(won_amount) as won_amount,
        count(won_amount) as won_amount_count,
        -- integer seconds: the mean of a BIGINT is summed exactly, so reruns give identical bits
        avg(won_cycle_seconds) / 86400.0 as avg_sales_cycle_days,
        median(won_cycle_seconds) / 86400.0 as median_sales_cycle_days
    from scoped_events
    where scope_id is not null
    group by period_type, period, level, scope_id

),

targets_in_periods as (

    select revenue_targets.*
    from revenue_targets
    inner join periods
        on
            revenue_targets.period_type = periods.period_type
            and revenue_targets.period = periods.period

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
        cast(coalesce(metrics.new_customers, 0) as bigint) as new_customers,
        metrics.won_amount,
        metrics.won_amount_count,
        targets_in_periods.revenue_target,
        cast(coalesce(metrics.won, 0) as bigint) as won,
        cast(coalesce(metrics.lost, 0) as bigint) as lost,
        metrics.avg_sales_cycle_days,
        metrics.median_sales_cycle_days
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
        case
            when revenue_target > 0 then cast(revenue as double) / cast(revenue_target as double)
        end as revenue_attainment,
        won,
        lost,
        case when won + lost > 0 then cast(won as double) / cast(won + lost as double) end as win_rate,
        {{ divide_decimal('won_amount', 'won_amount_count', 2) }} as avg_deal_size,
        avg_sales_cycle_days,
        median_sales_cycle_days
    from combined

)

select * from final
