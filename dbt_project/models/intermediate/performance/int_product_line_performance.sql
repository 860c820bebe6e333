{#-
  Revenue and units per product line, period and level, against product-line targets. Revenue
  here is the sum of order-line amounts (quantity × unit_price − discount_amount, in the order
  currency, converted at the order date's rate and rounded per line), so it need not equal
  fct_sales_performance.revenue (order totals). Booked orders with local order date <=
  as_of_date; rep on the order, team and region at the order date (int_orders_enriched).
  Lines whose product is unknown or has no product line are left out.
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

targets as (

    select * from {{ ref('int_targets') }}

),

line_events as (

    select
        orders.order_id,
        orders.rep_id,
        orders.team,
        orders.region,
        orders.ordered_date as event_date,
        order_lines.product_line,
        order_lines.quantity as units,
        {{ to_reporting(
            'order_lines.quantity * order_lines.unit_price - coalesce(order_lines.discount_amount, 0)',
            'orders.fx_rate'
        ) }} as revenue
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    where
        orders.is_booked
        and orders.ordered_date <= {{ as_of_date() }}
        and order_lines.product_line is not null

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

scoped_lines as (

    select
        periods.period_type,
        periods.period,
        levels.level,
        case levels.level
            when 'company' then 'all'
            when 'region' then line_events.region
            when 'team' then line_events.team
            when 'rep' then line_events.rep_id
        end as scope_id,
        line_events.product_line,
        line_events.order_id,
        line_events.revenue,
        line_events.units
    from line_events
    inner join periods
        on line_events.event_date between periods.period_start and periods.period_end
    cross join levels

),

metrics as (

    select
        period_type,
        period,
        level,
        scope_id,
        product_line,
        sum(revenue) as revenue,
        sum(units) as units,
        count(distinct order_id) as orders
    from scoped_lines
    where scope_id is not null
    group by period_type, period, level, scope_id, product_line

),

targets_in_periods as (

    select
        targets.period_type,
        targets.period,
        targets.level,
        targets.scope_id,
        targets.product_line,
        max(case when targets.metric = 'revenue' then targets.target_value end) as revenue_target,
        max(case when targets.metric = 'units' then targets.target_value end) as units_target
    from targets
    inner join periods
        on
            targets.period_type = periods.period_type
            and targets.period = periods.period
    where
        targets.product_line is not null
        and targets.metric in ('revenue', 'units')
    group by targets.period_type, targets.period, targets.level, targets.scope_id, targets.product_line

),

scopes as (

    select
        period_type,
        period,
        level,
        scope_id,
        product_line
    from metrics

    union

    select
        period_type,
        period,
        level,
        scope_id,
        product_line
    from targets_in_periods

),

final as (

    select
        scopes.period_type,
        scopes.period,
        periods.period_start,
        periods.period_end,
        scopes.level,
        scopes.scope_id,
        scopes.product_line,
        cast(coalesce(metrics.revenue, 0) as decimal(18, 2)) as revenue,
        cast(coalesce(metrics.units, 0) as decimal(18, 6)) as units,
        cast(coalesce(metrics.orders, 0) as bigint) as orders,
        targets_in_periods.revenue_target,
        {{ attainment('coalesce(metrics.revenue, 0)', 'targets_in_periods.revenue_target') }} as revenue_attainment,
        targets_in_periods.units_target,
        {{ attainment('coalesce(metrics.units, 0)', 'targets_in_periods.units_target') }} as units_attainment
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
            and scopes.product_line = metrics.product_line
    left join targets_in_periods
        on
            scopes.period_type = targets_in_periods.period_type
            and scopes.period = targets_in_periods.period
            and scopes.level = targets_in_periods.level
            and scopes.scope_id = targets_in_periods.scope_id
            and scopes.product_line = targets_in_periods.product_line

)

select * from final
