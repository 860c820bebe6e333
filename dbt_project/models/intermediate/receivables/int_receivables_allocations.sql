{#-
  Payments applied to instalments, at each date a balance is read: the snapshot dates (the run's
  as_of_date and every month end on or before it since the first booked order, for every order
  ordered on or before the date) and each instalment's own due date (for that order only: what
  was paid on time). One row per (as_of_date, order_id, receivable_id).

  Application rule (payments with local paid date on or before as_of_date, in the order
  currency): a payment naming an invoice of the order pays that invoice, up to its amount; the
  rest of the order's payments (those naming no invoice, naming an invoice of another order,
  and what exceeds the invoice they name) pay the order's instalments oldest due first
  (due_rank). The paid amount of an instalment is never above its amount_due; what is left
  over after the last instalment is an overpayment (overpaid_order finding), not a balance.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

instalments as (

    select * from {{ ref('int_receivables_instalments') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

first_order as (

    select min(ordered_date) as first_ordered_date
    from instalments

),

quarter_ends as (

    select period_end as as_of_date
    from periods
    where period_type = 'quarter'

),

snapshot_dates as (

    select {{ as_of_date() }} as as_of_date

    union

    select periods.period_end as as_of_date
    from periods
    cross join first_order
    where
        periods.period_type = 'month'
        and periods.period_end <= {{ as_of_date() }}
        and periods.period_end >= first_order.first_ordered_date

),

order_dates as (

    select
        orders.order_id,
        snapshot_dates.as_of_date,
        true as is_snapshot
    from (select distinct
        order_id,
        ordered_date
    from instalments) as orders
    inner join snapshot_dates
        on orders.ordered_date <= snapshot_dates.as_of_date

    union all

    select distinct
        order_id,
        due_date as as_of_date,
        false as is_snapshot
    from instalments
    where due_date is not null

),

read_dates as (

    select
        order_id,
        as_of_date,
        bool_or(is_snapshot) as is_snapshot
    from order_dates
    group by order_id, as_of_date

),

order_payments as (

    select
        read_dates.as_of_date,
        read_dates.order_id,
        payments.invoice_id,
        payments.amount_order_currency
    from read_dates
    inner join payments
        on
            read_dates.order_id = payments.order_id
            and read_dates.as_of_date >= payments.paid_date
    where payments.has_order

),

paid_to_invoice as (

    select
        as_of_date,
        order_id,
        invoice_id,
        sum(amount_order_currency) as paid
    from order_payments
    where invoice_id is not null
    group by as_of_date, order_id, invoice_id

),

paid_to_order as (

    select
        as_of_date,
        order_id,
        sum(amount_order_currency) as paid
    from order_payments
    group by as_of_date, order_id

),

direct as (

    select
        read_dates.as_of_date,
        read_dates.is_snapshot,
        instalments.*,
        coalesce(paid_to_order.paid, 0) as order_paid,
        least(instalments.amount_due, coalesce(paid_to_invoice.paid, 0)) as paid_direct
    from read_dates
    inner join instalments
        on read_dates.order_id = instalments.order_id
    left join paid_to_invoice
        on
            read_dates.as_of_date = paid_to_invoice.as_of_date
            and instalments.order_id = paid_to_invoice.order_id
            and instalments.invoice_id = paid_to_invoice.invoice_id
    left join paid_to_order
        on
            read_dates.as_of_date = paid_to_order.as_of_date
            and read_dates.order_id = paid_to_order.order_id

),

pooled as (

    select
        *,
        order_paid - sum(paid_direct) over (partition by as_of_date, order_id) as pool,
        coalesce(
            sum(amount_due - paid_direct) over (
                partition by as_of_date, order_id
                order by due_rank
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as left_before
    from direct

),

applied as (

    select
        *,
        paid_direct + least(amount_due - paid_direct, greatest(pool - left_before, 0)) as paid
    from pooled

),

final as (

    select
        as_of_date,
        is_snapshot,
        is_snapshot and (
            as_of_date = {{ as_of_date() }}
            or as_of_date in (select quarter_ends.as_of_date from quarter_ends)
        ) as is_aging_snapshot,
        order_id,
        receivable_id,
        invoice_id,
        due_rank,
        account_id,
        rep_id,
        team,
        region,
        currency,
        ordered_date,
        issued_date,
        due_date,
        amount_due,
        fx_rate,
        cast(paid as decimal(38, 6)) as paid,
        cast(amount_due - paid as decimal(38, 6)) as outstanding_original,
        greatest(date_diff('day', due_date, as_of_date), 0) as days_overdue
    from applied

)

select * from final
