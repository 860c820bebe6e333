{#-
  What each booked order still owed at each snapshot date: the run's as_of_date and every month
  end on or before it since the first booked order (quarter and year ends are month ends).
  One row per (as_of_date, order_id) with outstanding > 0. Amounts in the order currency;
  outstanding also in the reporting currency at the order date's rate. Payments count when
  their local paid date is on or before the snapshot date. is_aging_snapshot marks the dates
  fct_receivables_aging publishes (as_of_date and quarter ends).
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

receivables as (

    select * from {{ ref('int_receivables_base') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

first_order as (

    select min(ordered_date) as first_ordered_date
    from receivables

),

month_ends as (

    select periods.period_end as as_of_date
    from periods
    cross join first_order
    where
        periods.period_type = 'month'
        and periods.period_end <= {{ as_of_date() }}
        and periods.period_end >= first_order.first_ordered_date

),

quarter_ends as (

    select period_end as as_of_date
    from periods
    where period_type = 'quarter'

),

snapshot_dates as (

    select {{ as_of_date() }} as as_of_date

    union

    select as_of_date from month_ends

),

flagged_dates as (

    select
        snapshot_dates.as_of_date,
        snapshot_dates.as_of_date = {{ as_of_date() }}
        or snapshot_dates.as_of_date in (select quarter_ends.as_of_date from quarter_ends)
            as is_aging_snapshot
    from snapshot_dates

),

orders_at_snapshot as (

    select
        flagged_dates.as_of_date,
        flagged_dates.is_aging_snapshot,
        receivables.*
    from receivables
    inner join flagged_dates
        on receivables.ordered_date <= flagged_dates.as_of_date

),

paid_at_snapshot as (

    select
        flagged_dates.as_of_date,
        payments.order_id,
        sum(payments.amount_order_currency) as paid
    from payments
    inner join flagged_dates
        on payments.paid_date <= flagged_dates.as_of_date
    where payments.has_order
    group by flagged_dates.as_of_date, payments.order_id

),

balances as (

    select
        orders_at_snapshot.as_of_date,
        orders_at_snapshot.is_aging_snapshot,
        orders_at_snapshot.order_id,
        orders_at_snapshot.account_id,
        orders_at_snapshot.rep_id,
        orders_at_snapshot.team,
        orders_at_snapshot.region,
        orders_at_snapshot.currency,
        orders_at_snapshot.ordered_date,
        orders_at_snapshot.due_date,
        orders_at_snapshot.amount_due,
        orders_at_snapshot.fx_rate,
        cast(coalesce(paid_at_snapshot.paid, 0) as decimal(38, 6)) as paid,
        cast(
            greatest(orders_at_snapshot.amount_due - coalesce(paid_at_snapshot.paid, 0), 0)
            as decimal(38, 6)
        ) as outstanding_original,
        greatest(date_diff('day', orders_at_snapshot.due_date, orders_at_snapshot.as_of_date), 0)
            as days_overdue
    from orders_at_snapshot
    left join paid_at_snapshot
        on
            orders_at_snapshot.as_of_date = paid_at_snapshot.as_of_date
            and orders_at_snapshot.order_id = paid_at_snapshot.order_id

),

final as (

    select
        as_of_date,
        is_aging_snapshot,
        order_id,
        account_id,
        rep_id,
        team,
        region,
        currency,
        ordered_date,
        due_date,
        amount_due,
        fx_rate,
        paid,
        outstanding_original,
        {{ to_reporting('outstanding_original', 'fx_rate') }} as outstanding,
        days_overdue,
        case
            when days_overdue = 0 then 'not_due'
            when days_overdue <= 30 then '1_30'
            when days_overdue <= 60 then '31_60'
            when days_overdue <= 90 then '61_90'
            else 'over_90'
        end as aging_bucket
    from balances
    where outstanding_original > 0

)

select * from final
