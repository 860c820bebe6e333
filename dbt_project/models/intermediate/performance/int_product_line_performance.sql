{#-
  Revenue and units per product line, period and level, against product-line targets: the rows
  fct_product_line_performance publishes. Revenue here is the sum of order-line amounts
  (int_order_lines_enriched.line_amount: the exported line amount, else quantity × unit_price −
  discount; in the order currency, converted at the order date's rate and rounded per line),
  so it need not equal fct_sales_performance.revenue (order totals, or the lines' sum converted
  once when an order has no exported total). Booked orders (int_booked_orders: not cancelled, local order date <= as_of_date)
  with the periods and scopes of their order_booked event (int_sales_event_scopes: rep on the
  order, team and region at the order date). Lines whose product is unknown or has no product
  line are left out.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

booked_orders as (

    select * from {{ ref('int_booked_orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_enriched') }}

),

order_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type = 'order_booked'

),

targets as (

    select * from {{ ref('int_targets') }}

),

line_amounts as (

    select
        order_lines.order_id,
        order_lines.product_line,
        order_lines.quantity as units,
        {{ to_reporting('order_lines.line_amount', 'booked_orders.fx_rate') }} as revenue
    from order_lines
    inner join booked_orders
        on order_lines.order_id = booked_orders.order_id
    where order_lines.product_line is not null

),

scoped_lines as (

    select
        order_scopes.period_type,
        order_scopes.period,
        order_scopes.level,
        order_scopes.scope_id,
        line_amounts.product_line,
        line_amounts.order_id,
        line_amounts.revenue,
        line_amounts.units
    from line_amounts
    inner join order_scopes
        on line_amounts.order_id = order_scopes.event_id

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
        cast(coalesce(metrics.revenue, 0) as decimal(38, 2)) as revenue,
        cast(coalesce(metrics.units, 0) as decimal(38, 6)) as units,
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
