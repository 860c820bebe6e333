{#-
  The overdue list: at every aging snapshot (the run's as_of_date and each quarter end, as in
  fct_receivables_aging), each receivable (an invoice, or an order without invoices) past its
  own due date with something outstanding, with its
  account, the owner (the rep on the order, that rep's team and region) and a rank by
  outstanding amount within the snapshot.
-#}
with

balances as (

    select * from {{ ref('int_receivables_balances') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

sales_reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

overdue as (

    select * from balances
    where is_aging_snapshot and days_overdue > 0

),

final as (

    select
        overdue.as_of_date,
        overdue.order_id,
        overdue.receivable_id,
        overdue.invoice_id,
        overdue.account_id,
        accounts.account_name,
        overdue.rep_id,
        sales_reps.rep_name,
        overdue.team,
        overdue.region,
        overdue.currency,
        overdue.ordered_date,
        overdue.due_date,
        overdue.amount_due,
        overdue.paid,
        overdue.outstanding_original,
        overdue.outstanding,
        overdue.days_overdue,
        overdue.aging_bucket,
        row_number() over (
            partition by overdue.as_of_date
            order by
                overdue.outstanding desc nulls last, overdue.days_overdue desc, overdue.order_id asc,
                overdue.receivable_id asc
        ) as overdue_rank
    from overdue
    left join accounts
        on overdue.account_id = accounts.account_id
    left join sales_reps
        on overdue.rep_id = sales_reps.rep_id

)

select * from final
