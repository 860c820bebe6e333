{#-
  What each booked order owes, instalment by instalment: one row per invoice of the order
  (its amount converted into the order currency at the invoice issue date when the invoice is
  in another currency, due at the invoice's own due date), or, for an order without invoices,
  one row for the order total due order date + payment terms. receivable_id is the invoice_id,
  else the order_id. due_rank orders an order's instalments oldest due first (due_date, then
  receivable_id): the order payments not naming an invoice are applied in
  (int_receivables_allocations). Team and region are the order's (int_orders_enriched).
-#}
with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

booked_orders as (

    select * from orders
    where is_booked

),

invoice_rates as (

    select
        invoices.invoice_id,
        invoices.order_id,
        invoices.issued_at,
        invoices.due_date,
        invoices.amount,
        upper(invoices.currency) as currency,
        upper(booked_orders.currency) as order_currency,
        -- only needed (and only computed) for an invoice in another currency than its order's
        case
            when upper(invoices.currency) != upper(booked_orders.currency)
                then {{ times_rate('invoices.amount', 'invoice_fx.rate_to_reporting', 18) }}
        end as amount_reporting_exact,
        order_fx.rate_to_reporting as order_rate
    from invoices
    inner join booked_orders
        on invoices.order_id = booked_orders.order_id
    left join fx_rates as invoice_fx
        on {{ fx_rate_for('invoice_fx', 'invoices.currency', 'invoices.issued_at') }}
    left join fx_rates as order_fx
        on {{ fx_rate_for('order_fx', 'booked_orders.currency', 'invoices.issued_at') }}

),

invoice_instalments as (

    select
        order_id,
        invoice_id as receivable_id,
        invoice_id,
        cast(issued_at as date) as issued_date,
        due_date,
        {{ convert_between(
            'amount', 'currency', 'order_currency', 'amount_reporting_exact', 'order_rate'
        ) }} as amount_due
    from invoice_rates

),

terms_instalments as (

    select
        booked_orders.order_id,
        booked_orders.order_id as receivable_id,
        cast(null as {{ type_text() }}) as invoice_id,
        cast(null as date) as issued_date,
        cast({{ add_days(
            'booked_orders.ordered_date',
            'coalesce(booked_orders.payment_terms_days, '
            ~ (var('default_payment_terms_days') | int) ~ ')'
        ) }} as date) as due_date,
        booked_orders.total_amount as amount_due
    from booked_orders
    where not exists (
        select 1 from invoice_instalments
        where invoice_instalments.order_id = booked_orders.order_id
    )

),

instalments as (

    select * from invoice_instalments
    union all
    select * from terms_instalments

),

final as (

    select
        instalments.order_id,
        instalments.receivable_id,
        instalments.invoice_id,
        instalments.invoice_id is not null as is_invoice,
        row_number() over (
            partition by instalments.order_id
            order by instalments.due_date asc nulls last, instalments.receivable_id asc
        ) as due_rank,
        instalments.issued_date,
        instalments.due_date,
        cast(instalments.amount_due as decimal(38, 6)) as amount_due,
        booked_orders.account_id,
        booked_orders.rep_id,
        booked_orders.team,
        booked_orders.region,
        booked_orders.currency,
        booked_orders.ordered_date,
        booked_orders.fx_rate
    from instalments
    inner join booked_orders
        on instalments.order_id = booked_orders.order_id

)

select * from final
