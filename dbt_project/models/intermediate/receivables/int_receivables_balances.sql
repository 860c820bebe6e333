{#-
  What each booked order still owed at each snapshot date, instalment by instalment: the run's
  as_of_date and every month end on or before it since the first booked order (quarter and year
  ends are month ends). One row per (as_of_date, order_id, receivable_id) with outstanding > 0;
  each instalment (invoice, or the order by its payment terms) ages from its own due date.
  Payments are applied as int_receivables_allocations says (an incremental table: a night
  recomputes only the orders and dates it changed; this view reads its snapshot rows). Amounts
  in the order currency; outstanding also in the reporting currency at the order date's rate.
  is_aging_snapshot marks the dates fct_receivables_aging publishes (as_of_date and quarter
  ends).
-#}
with

allocations as (

    select * from {{ ref('int_receivables_allocations') }}

),

final as (

    select
        as_of_date,
        is_aging_snapshot,
        order_id,
        receivable_id,
        invoice_id,
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
        {{ aging_bucket('days_overdue') }} as aging_bucket
    from allocations
    where is_snapshot and outstanding_original > 0

)

select * from final
