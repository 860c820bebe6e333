{#-
  What each booked order owes in total: the sum of its instalments (int_receivables_instalments:
  its invoices, else the order total by payment terms) and its first due date. Team and region
  are the order's (int_orders_enriched), like every receivables and customer mart. Balances and
  aging are per instalment (int_receivables_allocations); this order-level view serves the
  order chain and the order-level checks.
-#}
with

instalments as (

    select * from {{ ref('int_receivables_instalments') }}

),

final as (

    select
        order_id,
        any_value(account_id) as account_id,
        any_value(rep_id) as rep_id,
        any_value(team) as team,
        any_value(region) as region,
        any_value(currency) as currency,
        any_value(ordered_date) as ordered_date,
        any_value(fx_rate) as fx_rate,
        bool_or(is_invoice) as has_invoice,
        count(invoice_id) as invoice_count,
        min(issued_date) as first_issued_date,
        cast(sum(amount_due) as decimal(38, 6)) as amount_due,
        min(due_date) as due_date
    from instalments
    group by order_id

)

select * from final
