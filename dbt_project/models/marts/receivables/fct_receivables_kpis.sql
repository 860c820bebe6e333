{#-
  DSO, on-time collection and collections per period (month | quarter | year) and level
  (company | region | team | rep; the order's rep and that rep's team and region at the order
  date, via int_order_scopes; a payment counts for its order's, the rule of
  fct_sales_performance.collections). A period is measured up to measure_date =
  least(period_end, as_of_date): the current period is period to date. Amounts fall due per
  instalment (int_receivables_instalments), each at its own due date; paid on time = what the
  application rule of int_receivables_allocations put on the instalment by its due date. A
  (period, scope) has a row when it has revenue, receivables at measure_date, an amount falling
  due in the period or a collection, with zeros (not nulls) for the sums.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_booked_orders') }}

),

order_scopes as (

    select * from {{ ref('int_order_scopes') }}

),

balances as (

    select * from {{ ref('int_receivables_balances') }}

),

allocations as (

    select * from {{ ref('int_receivables_allocations') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

levels as (

    {{ scope_levels() }}

),

measured_periods as (

    select
        period_type,
        period,
        period_start,
        period_end,
        least(period_end, {{ as_of_date() }}) as measure_date,
        {{ date_diff('day', 'period_start', 'least(period_end, ' ~ as_of_date() ~ ')') }} + 1 as days_measured
    from periods
    where period_start <= {{ as_of_date() }}

),

revenue_events as (

    select
        measured_periods.period_type,
        measured_periods.period,
        order_scopes.level,
        order_scopes.scope_id,
        orders.total_amount_reporting as revenue,
        cast(null as decimal(38, 2)) as receivables_end,
        cast(null as decimal(38, 2)) as due_in_period,
        cast(null as decimal(38, 2)) as paid_on_time,
        cast(null as decimal(38, 2)) as collections
    from orders
    inner join measured_periods
        on orders.ordered_date between measured_periods.period_start and measured_periods.measure_date
    inner join order_scopes
        on orders.order_id = order_scopes.order_id

),

receivable_events as (

    select
        measured_periods.period_type,
        measured_periods.period,
        order_scopes.level,
        order_scopes.scope_id,
        cast(null as decimal(38, 2)) as revenue,
        balances.outstanding as receivables_end,
        cast(null as decimal(38, 2)) as due_in_period,
        cast(null as decimal(38, 2)) as paid_on_time,
        cast(null as decimal(38, 2)) as collections
    from balances
    inner join measured_periods
        on balances.as_of_date = measured_periods.measure_date
    inner join order_scopes
        on balances.order_id = order_scopes.order_id

),

due_amounts as (

    select
        order_id,
        due_date,
        {{ to_reporting('amount_due', 'fx_rate') }} as due_amount,
        {{ to_reporting('paid', 'fx_rate') }} as paid_on_time_amount
    from allocations
    where as_of_date = due_date and ordered_date <= {{ as_of_date() }}

),

due_events as (

    select
        measured_periods.period_type,
        measured_periods.period,
        order_scopes.level,
        order_scopes.scope_id,
        cast(null as decimal(38, 2)) as revenue,
        cast(null as decimal(38, 2)) as receivables_end,
        due_amounts.due_amount as due_in_period,
        due_amounts.paid_on_time_amount as paid_on_time,
        cast(null as decimal(38, 2)) as collections
    from due_amounts
    inner join measured_periods
        on due_amounts.due_date between measured_periods.period_start and measured_periods.measure_date
    inner join order_scopes
        on due_amounts.order_id = order_scopes.order_id

),

collection_events as (

    select
        measured_periods.period_type,
        measured_periods.period,
        levels.level,
        {{ scope_id_for('levels.level', 'payments.rep_id', 'payments.team', 'payments.region') }} as scope_id,
        cast(null as decimal(38, 2)) as revenue,
        cast(null as decimal(38, 2)) as receivables_end,
        cast(null as decimal(38, 2)) as due_in_period,
        cast(null as decimal(38, 2)) as paid_on_time,
        payments.amount_reporting as collections
    from payments
    inner join measured_periods
        on payments.paid_date between measured_periods.period_start and measured_periods.measure_date
    cross join levels

),

events as (

    select * from revenue_events
    union all
    select * from receivable_events
    union all
    select * from due_events
    union all
    select * from collection_events
    where scope_id is not null

),

metrics as (

    select
        period_type,
        period,
        level,
        scope_id,
        cast(coalesce(sum(revenue), 0) as decimal(38, 2)) as revenue,
        cast(coalesce(sum(receivables_end), 0) as decimal(38, 2)) as receivables_end,
        cast(coalesce(sum(due_in_period), 0) as decimal(38, 2)) as due_in_period,
        cast(coalesce(sum(paid_on_time), 0) as decimal(38, 2)) as paid_on_time,
        cast(coalesce(sum(collections), 0) as decimal(38, 2)) as collections
    from events
    group by period_type, period, level, scope_id

),

final as (

    select
        metrics.period_type,
        metrics.period,
        measured_periods.period_start,
        measured_periods.period_end,
        measured_periods.measure_date,
        measured_periods.days_measured,
        metrics.level,
        metrics.scope_id,
        metrics.revenue,
        metrics.receivables_end,
        {{ divide_decimal('metrics.receivables_end * measured_periods.days_measured', 'metrics.revenue', 2, 2) }}
            as dso_days,
        metrics.due_in_period,
        metrics.paid_on_time,
        case
            when metrics.due_in_period > 0
                then cast(metrics.paid_on_time as double) / cast(metrics.due_in_period as double)
        end as on_time_collection_rate,
        metrics.collections
    from metrics
    inner join measured_periods
        on
            metrics.period_type = measured_periods.period_type
            and metrics.period = measured_periods.period

)

select * from final
