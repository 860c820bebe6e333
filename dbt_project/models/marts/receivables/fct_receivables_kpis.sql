{#-
  DSO and on-time collection per period (month | quarter | year) and level (company | region |
  team | rep; the order's rep and that rep's team and region via int_order_scopes). A period is
  measured up to measure_date = least(period_end, as_of_date): the current period is period to
  date. A (period, scope) has a row when it has revenue, receivables at measure_date or an
  amount falling due in the period, with zeros (not nulls) for the sums.
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

receivables as (

    select * from {{ ref('int_receivables_base') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

measured_periods as (

    select
        period_type,
        period,
        period_start,
        period_end,
        least(period_end, {{ as_of_date() }}) as measure_date,
        date_diff('day', period_start, least(period_end, {{ as_of_date() }})) + 1 as days_measured
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
        cast(null as decimal(38, 2)) as paid_on_time
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
        cast(null as decimal(38, 2)) as paid_on_time
    from balances
    inner join measured_periods
        on balances.as_of_date = measured_periods.measure_date
    inner join order_scopes
        on balances.order_id = order_scopes.order_id

),

paid_by_due_date as (

    select
        receivables.order_id,
        sum(payments.amount_order_currency) as paid
    from receivables
    inner join payments
        on
            receivables.order_id = payments.order_id
            and receivables.due_date >= payments.paid_date
    where payments.has_order
    group by receivables.order_id

),

due_amounts as (

    select
        receivables.order_id,
        receivables.due_date,
        {{ to_reporting('receivables.amount_due', 'receivables.fx_rate') }} as due_amount,
        {{ to_reporting(
            'least(receivables.amount_due, coalesce(paid_by_due_date.paid, 0))', 'receivables.fx_rate'
        ) }} as paid_on_time_amount
    from receivables
    left join paid_by_due_date
        on receivables.order_id = paid_by_due_date.order_id
    where receivables.ordered_date <= {{ as_of_date() }}

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
        due_amounts.paid_on_time_amount as paid_on_time
    from due_amounts
    inner join measured_periods
        on due_amounts.due_date between measured_periods.period_start and measured_periods.measure_date
    inner join order_scopes
        on due_amounts.order_id = order_scopes.order_id

),

events as (

    select * from revenue_events
    union all
    select * from receivable_events
    union all
    select * from due_events

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
        cast(coalesce(sum(paid_on_time), 0) as decimal(38, 2)) as paid_on_time
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
        end as on_time_collection_rate
    from metrics
    inner join measured_periods
        on
            metrics.period_type = measured_periods.period_type
            and metrics.period = measured_periods.period

)

select * from final
