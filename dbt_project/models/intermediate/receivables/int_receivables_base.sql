{#-
  What each booked order owes: invoices when the order has any (amounts converted into the
  order currency at the invoice issue date when an invoice is in another currency, earliest
  due date), else the order total due order date + payment terms. Team and region are the
  order's (int_orders_enriched), like every receivables and customer mart.
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

invoice_amounts as (

    select
        order_id,
        issued_at,
        due_date,
        {{ convert_between(
            'amount', 'currency', 'order_currency', 'amount_reporting_exact', 'order_rate'
        ) }} as amount_order_currency
    from invoice_rates

),

invoice_totals as (

    select
        order_id,
        count(*) as invoice_count,
        sum(amount_order_currency) as invoiced_amount,
        min(issued_at) as first_issued_date,
        min(due_date) as first_due_date
    from invoice_amounts
    group by order_id

),

receivables as (

    select
        booked_orders.order_id,
        booked_orders.account_id,
        booked_orders.rep_id,
        booked_orders.team,
        booked_orders.region,
        booked_orders.currency,
        booked_orders.ordered_date,
        booked_orders.fx_rate,
        coalesce(invoice_totals.invoice_count, 0) > 0 as has_invoice,
        coalesce(invoice_totals.invoice_count, 0) as invoice_count,
        invoice_totals.first_issued_date,
        cast(
            case
                when invoice_totals.invoice_count > 0 then invoice_totals.invoiced_amount
                else booked_orders.total_amount
            end
            as decimal(38, 6)
        ) as amount_due,
        case
            when invoice_totals.invoice_count > 0 then invoice_totals.first_due_date
            else cast(
                booked_orders.ordered_date
                + to_days(cast(
                    coalesce(booked_orders.payment_terms_days, {{ var('default_payment_terms_days') | int }})
                    as integer
                ))
                as date
            )
        end as due_date
    from booked_orders
    left join invoice_totals
        on booked_orders.order_id = invoice_totals.order_id

),

final as (

    select * from receivables

)

select * from final
