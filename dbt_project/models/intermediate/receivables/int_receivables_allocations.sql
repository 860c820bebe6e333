{{
    config(
        materialized=incremental_materialization(),
        unique_key=['as_of_date', 'order_id'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['incremental_fact'],
        pre_hook="{{ incremental_fact_history_reset() }}",
        post_hook="{{ incremental_fact_drop_tombstones() }}"
    )
}}

{#-
  Payments applied to instalments, at each date a balance is read: the snapshot dates (the run's
  as_of_date and every month end of the period spine on or before it, for every order ordered
  on or before the date) and each instalment's own due date (for that order only: what was
  paid on time). Rows kept: each instalment at its own due date, and each instalment with
  something outstanding at a snapshot date (what the marts read: a settled instalment at a
  month end, or an instalment at another instalment's due date, would only be filtered out
  again). One row per (as_of_date, order_id, receivable_id).

  Application rule (payments with local paid date on or before as_of_date, in the order
  currency): a payment naming an invoice of the order pays that invoice, up to its amount; the
  rest of the order's payments (those naming no invoice, naming an invoice of another order,
  and what exceeds the invoice they name) pay the order's instalments oldest due first
  (due_rank). The paid amount of an instalment is never above its amount_due; what is left
  over after the last instalment is an overpayment (overpaid_order finding), not a balance.

  Incremental by (as_of_date, order_id) (macros/incremental_receivables.sql): a run recomputes
  every read date of the orders whose instalments or payments changed since its last run, and
  every order at the dates between the previous and this as_of_date (and between the previous
  and this first day of the period spine); the other rows are kept. Rows carry
  processed_load_id, processed_as_of_date and processed_spine_from.
-#}
{#- The raw-versions models the incremental path reads, named here unconditionally so that dbt
    records the dependency. -#}
{%- set raw_versions = {
    'payments': ref('stg_finance__payment_raw_versions'),
    'invoices': ref('stg_erp__invoice_raw_versions'),
} -%}
{%- set columns = [
    'as_of_date', 'is_snapshot', 'is_aging_snapshot', 'order_id', 'receivable_id', 'invoice_id',
    'due_rank', 'account_id', 'rep_id', 'team', 'region', 'currency', 'ordered_date',
    'issued_date', 'due_date', 'amount_due', 'fx_rate', 'paid', 'outstanding_original',
    'days_overdue', 'processed_load_id', 'processed_as_of_date', 'processed_spine_from',
] -%}
with

{% if incremental_fact_active() -%}
{{ incremental_receivables_ctes(raw_versions, ref('int_payments_enriched'), ref('int_receivables_instalments'), ref('int_periods')) }}
{%- endif %}

periods as (

    select * from {{ ref('int_periods') }}

),

instalments as (

    select * from {{ ref('int_receivables_instalments') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

quarter_ends as (

    select period_end as as_of_date
    from periods
    where period_type = 'quarter'

),

snapshot_dates as (

    select {{ as_of_date() }} as as_of_date

    union

    -- month ends before an order's date have no row: none before the first order's
    select periods.period_end as as_of_date
    from periods
    where
        periods.period_type = 'month'
        and periods.period_end <= {{ as_of_date() }}

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
    where {{ receivables_recomputed_if_incremental('snapshot_dates.as_of_date', 'orders.order_id') }}

    union all

    select distinct
        order_id,
        due_date as as_of_date,
        false as is_snapshot
    from instalments
    where
        due_date is not null
        and {{ receivables_recomputed_if_incremental('due_date', 'order_id') }}

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
        greatest({{ date_diff('day', 'due_date', 'as_of_date') }}, 0) as days_overdue,
        {{ fact_load_stamp() }} as processed_load_id,
        {{ as_of_date() }} as processed_as_of_date,
        {{ spine_start('periods') }} as processed_spine_from
    from applied
    where as_of_date = due_date or (is_snapshot and amount_due - paid > 0)

)

select {{ columns | join(', ') }} from final
{%- if incremental_fact_active() %}
union all
{{ incremental_receivables_tombstones(columns) }}
{%- endif %}
