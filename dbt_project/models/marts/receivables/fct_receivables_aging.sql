{#-
  Receivables aging snapshots: one row per (as_of_date, order_id, receivable_id) with something
  outstanding, for the run's as_of_date and every quarter end on or before it since the first
  booked order. A receivable is an invoice (each instalment ages from its own due date), or the
  whole order by its payment terms when it has no invoice.
  The balances are computed once in int_receivables_balances (which also holds month ends for
  DSO), a view over the incremental table int_receivables_allocations (a night recomputes only
  the orders and dates it changed, macros/incremental_receivables.sql); this mart publishes
  its aging snapshots with the original columns, plus the team and
  region of the order's rep at the order date (the rule of int_orders_enriched), so a team's
  aging counts the same orders as its DSO in fct_receivables_kpis.
-#}
with

balances as (

    select * from {{ ref('int_receivables_balances') }}

),

final as (

    select
        as_of_date,
        order_id,
        receivable_id,
        invoice_id,
        account_id,
        rep_id,
        team,
        region,
        currency,
        due_date,
        amount_due,
        paid,
        outstanding_original,
        outstanding,
        days_overdue,
        aging_bucket
    from balances
    where is_aging_snapshot

)

select * from final
