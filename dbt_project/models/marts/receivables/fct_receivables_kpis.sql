{#-
  DSO, on-time collection and collections per period (month | quarter | year) and level
  (company | region | team | rep; the order's rep and that rep's team and region at the order
  date, as int_orders_enriched resolves them and every receivables row carries them, scoped by
  the rule of int_order_scopes; a payment counts for its order's, the rule of
  fct_sales_performance.collections). A period is measured up to measure_date =
  least(period_end, as_of_date): the current period is period to date. Amounts fall due per
  instalment (int_receivables_instalments), each at its own due date; paid on time = what the
  application rule of int_receivables_allocations put on the instalment by its due date. A
  (period, scope) has a row when it has revenue, receivables at measure_date, an amount falling
  due in the period or a collection, with zeros (not nulls) for the sums.
  Memory stays bounded at any size: every source is summed per day and owner before it meets
  the periods and the levels (never a row per order, balance or instalment per period and
  level).
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_booked_orders') }}

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

-- Each source summed per day and owner (rep, team, region: the order's, as int_order_scopes
-- has them) first: a few rows per day, so the joins to the periods and the levels below stay
-- small however many orders, instalments and balances there are. Sums of exact decimals: the
-- same totals as summing row by row.
revenue_days as (

    select
        ordered_date as event_date,
        rep_id,
        team,
        region,
        sum(total_amount_reporting) as revenue
    from orders
    group by ordered_date, rep_id, team, region

),

receivable_days as (

    select
        as_of_date as event_date,
        rep_id,
        team,
        region,
        sum(outstanding) as receivables_end
    from balances
    group by as_of_date, rep_id, team, region

),

due_days as (

    select
        due_date as event_date,
        rep_id,
        team,
        region,
        sum({{ to_reporting('amount_due', 'fx_rate') }}) as due_in_period,
        sum({{ to_reporting('paid', 'fx_rate') }}) as paid_on_time
    from allocations
    where as_of_date = due_date and ordered_date <= {{ as_of_date() }}
    group by due_date, rep_id, team, region

),

collection_days as (

    select
        paid_date as event_date,
        rep_id,
        team,
        region,
        sum(amount_reporting) as collections
    from payments
    group by paid_date, rep_id, team, region

),

period_events as (

    select
        measured_periods.period_type,
        measured_periods.period,
        revenue_days.rep_id,
        revenue_days.team,
        revenue_days.region,
        revenue_days.revenue,
        cast(null as decimal(38, 2)) as receivables_end,
        cast(null as decimal(38, 2)) as due_in_period,
        cast(null as decimal(38, 2)) as paid_on_time,
        cast(null as decimal(38, 2)) as collections
    from revenue_days
    inner join measured_periods
        on revenue_days.event_date between measured_periods.period_start and measured_periods.measure_date

    union all

    select
        measured_periods.period_type,
        measured_periods.period,
        receivable_days.rep_id,
        receivable_days.team,
        receivable_days.region,
        cast(null as decimal(38, 2)) as revenue,
        receivable_days.receivables_end,
        cast(null as decimal(38, 2)) as due_in_period,
        cast(null as decimal(38, 2)) as paid_on_time,
        cast(null as decimal(38, 2)) as collections
    from receivable_days
    inner join measured_periods
        on receivable_days.event_date = measured_periods.measure_date

    union all

    select
        measured_periods.period_type,
        measured_periods.period,
        due_days.rep_id,
        due_days.team,
        due_days.region,
        cast(null as decimal(38, 2)) as revenue,
        cast(null as decimal(38, 2)) as receivables_end,
        due_days.due_in_period,
        due_days.paid_on_time,
        cast(null as decimal(38, 2)) as collections
    from due_days
    inner join measured_periods
        on due_days.event_date between measured_periods.period_start and measured_periods.measure_date

    union all

    select
        measured_periods.period_type,
        measured_periods.period,
        collection_days.rep_id,
        collection_days.team,
        collection_days.region,
        cast(null as decimal(38, 2)) as revenue,
        cast(null as decimal(38, 2)) as receivables_end,
        cast(null as decimal(38, 2)) as due_in_period,
        cast(null as decimal(38, 2)) as paid_on_time,
        collection_days.collections
    from collection_days
    inner join measured_periods
        on collection_days.event_date between measured_periods.period_start and measured_periods.measure_date

),

-- the scopes of an owner: int_order_scopes' rule (scope_id_for over scope_levels)
events as (

    select
        period_events.period_type,
        period_events.period,
        levels.level,
        {{ scope_id_for('levels.level', 'period_events.rep_id', 'period_events.team', 'period_events.region') }}
            as scope_id,
        period_events.revenue,
        period_events.receivables_end,
        period_events.due_in_period,
        period_events.paid_on_time,
        period_events.collections
    from period_events
    cross join levels

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
    where scope_id is not null
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
