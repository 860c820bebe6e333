{#-
  The chain opportunity -> order -> invoice -> payment, one row per order ordered on or before
  as_of_date (cancelled ones included), with the amounts and dates of each step and where the
  order stands as of as_of_date (chain_status). Payments count when their local paid date is
  on or before as_of_date. days_overdue is that of the order's oldest instalment still owed
  (int_receivables_allocations): an order whose first invoice is paid is not overdue while its
  next one is not yet due.
-#}
with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

receivables as (

    select * from {{ ref('int_receivables_base') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

allocations as (

    select * from {{ ref('int_receivables_allocations') }}

),

open_instalments as (

    select
        order_id,
        max(days_overdue) as days_overdue
    from allocations
    where
        is_snapshot
        and as_of_date = {{ as_of_date() }}
        and outstanding_original > 0
    group by order_id

),

orders_to_date as (

    select * from orders
    where ordered_date <= {{ as_of_date() }}

),

payments_to_date as (

    select
        payments.*,
        sum(payments.amount_order_currency) over (
            partition by payments.order_id
            order by payments.paid_at, payments.payment_id
            rows between unbounded preceding and current row
        ) as paid_running
    from payments
    where
        payments.has_order
        and payments.paid_date <= {{ as_of_date() }}

),

payment_totals as (

    select
        payments_to_date.order_id,
        count(*) as payment_count,
        sum(payments_to_date.amount_order_currency) as paid,
        sum(payments_to_date.amount_reporting) as paid_reporting,
        min(payments_to_date.paid_date) as first_paid_date,
        max(payments_to_date.paid_date) as last_paid_date,
        min(
            case when payments_to_date.paid_running >= receivables.amount_due then payments_to_date.paid_date end
        ) as fully_paid_date
    from payments_to_date
    left join receivables
        on payments_to_date.order_id = receivables.order_id
    group by payments_to_date.order_id

),

chained as (

    select
        orders_to_date.order_id,
        orders_to_date.opportunity_id,
        orders_to_date.account_id,
        orders_to_date.rep_id,
        orders_to_date.team,
        orders_to_date.region,
        opportunities.created_date as opportunity_created_date,
        case when opportunities.is_won then opportunities.close_date end as won_date,
        opportunities.stage as opportunity_stage,
        opportunities.amount_reporting as opportunity_amount,
        orders_to_date.ordered_date,
        orders_to_date.status as order_status,
        orders_to_date.is_booked,
        orders_to_date.delivered_date,
        orders_to_date.currency,
        orders_to_date.total_amount as order_amount_original,
        orders_to_date.total_amount_reporting as order_amount,
        orders_to_date.fx_rate,
        coalesce(receivables.invoice_count, 0) as invoice_count,
        receivables.first_issued_date as first_invoiced_date,
        receivables.due_date,
        receivables.amount_due,
        coalesce(payment_totals.payment_count, 0) as payment_count,
        cast(coalesce(payment_totals.paid, 0) as decimal(38, 6)) as paid_original,
        cast(coalesce(payment_totals.paid_reporting, 0) as decimal(38, 2)) as paid,
        payment_totals.first_paid_date,
        payment_totals.last_paid_date,
        payment_totals.fully_paid_date,
        case
            when orders_to_date.is_booked
                then cast(greatest(receivables.amount_due - coalesce(payment_totals.paid, 0), 0) as decimal(38, 6))
        end as outstanding_original,
        coalesce(open_instalments.days_overdue, 0) as open_days_overdue
    from orders_to_date
    left join opportunities
        on orders_to_date.opportunity_id = opportunities.opportunity_id
    left join receivables
        on orders_to_date.order_id = receivables.order_id
    left join payment_totals
        on orders_to_date.order_id = payment_totals.order_id
    left join open_instalments
        on orders_to_date.order_id = open_instalments.order_id

),

final as (

    select
        order_id,
        opportunity_id,
        account_id,
        rep_id,
        team,
        region,
        opportunity_created_date,
        won_date,
        opportunity_stage,
        opportunity_amount,
        ordered_date,
        order_status,
        delivered_date,
        currency,
        order_amount_original,
        order_amount,
        invoice_count,
        first_invoiced_date,
        due_date,
        amount_due,
        payment_count,
        paid_original,
        paid,
        first_paid_date,
        last_paid_date,
        fully_paid_date,
        outstanding_original,
        {{ to_reporting('outstanding_original', 'fx_rate') }} as outstanding,
        case
            when outstanding_original > 0 then open_days_overdue
        end as days_overdue,
        case
            when not is_booked then 'cancelled'
            when outstanding_original = 0 then 'paid'
            when open_days_overdue > 0 then 'overdue'
            when payment_count > 0 then 'partly_paid'
            when invoice_count > 0 then 'invoiced'
            else 'ordered'
        end as chain_status
    from chained

)

select * from final
