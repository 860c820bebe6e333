{#-
  Incremental receivables (int_receivables_allocations, and through it int_receivables_balances
  and every receivables mart): the design of the incremental facts (macros/incremental.sql) and
  period marts (macros/incremental_periods.sql) applied per (read date, order).

  The payments applied to an order at a date d (a snapshot date or an instalment's due date)
  depend only on that order's instalments (int_receivables_instalments: order date, amounts,
  fx, invoices, terms, rep, team, region), that order's payments (int_payments_enriched: order,
  invoice, paid date, amount in the order currency) and, for the flags is_snapshot and
  is_aging_snapshot, on which dates are snapshot dates: the run's as_of_date, the month ends of
  the period spine (int_periods) and its quarter ends. (An order ordered on or before a month
  end on or before as_of_date always has that month in the spine, except an implausible order
  date before the spine's first month.) Settings (timezone, fiscal year, default payment terms,
  reporting currency) rebuild the model in full through its incremental_fact tag.

  So an incremental run recomputes every read date of the changed orders, and every order at
  the dates of the windows, and keeps the other rows:
  - changed orders: the orders whose instalments differ from the instalment columns of their
    stored rows (compared in full, every column: a new, re-dated, cancelled, deleted or
    re-priced order, a new, changed, relinked or deleted invoice, an fx correction, a rep
    move); the order of every payment row int_payments_enriched rewrote since the watermark
    (a new, changed, re-dated or relinked payment, its order's or invoice's change, an fx
    correction); the order each payment with a new raw version (a deletion marker included)
    had at the watermark, directly or through the invoice it named then, and the order each
    invoice with a new raw version had then; every order when the watermark is 0 (a first
    ordinary run after a rebuild as of a past date).
  - windows: the days after the previous run's as_of_date up to this run's (or the reverse),
    and the earlier of the two unless it is a quarter end (snapshot dates enter or leave, the
    old as_of_date snapshot goes, due dates become or stop being snapshot dates), and the days
    from the lower to before the higher of the previous and this run's first spine day (month
    ends enter or leave the spine); of those, the days a row can be read at (a stored read
    date or a snapshot date of this run: a due date that is neither keeps its flags).
  Rows carry processed_load_id, processed_as_of_date and processed_spine_from (as the period
  marts); every recomputed (as_of_date, order_id) pair is rewritten with delete+insert, with a
  tombstone (a stored row with processed_load_id null, dropped by the post-hook
  incremental_fact_drop_tombstones) for each stored row recomputed, so a read date an order
  no longer has loses its rows. A larger set of changed orders or dates is never wrong, only
  slower. The full build (first run, --full-refresh, var history_as_of_date) computes every
  pair.
-#}

{#- The instalment columns every row of int_receivables_allocations carries: what the rows of
    an order are computed from, besides its payments. -#}
{% macro receivables_instalment_columns() -%}
    {{ return([
        'order_id', 'receivable_id', 'invoice_id', 'due_rank', 'issued_date', 'due_date',
        'amount_due', 'account_id', 'rep_id', 'team', 'region', 'currency', 'ordered_date',
        'fx_rate',
    ]) }}
{%- endmacro %}

{#- CTEs (each followed by a comma) an incremental run of int_receivables_allocations adds
    before its own, ending with changed_orders (order_id), receivable_windows (window_after <
    day <= window_to) and window_days (window_day). `raw_versions`: {'payments', 'invoices'}
    -> the raw-versions models;
    `payments`: int_payments_enriched; `instalments`: int_receivables_instalments; `periods`:
    int_periods. -#}
{% macro incremental_receivables_ctes(raw_versions, payments, instalments, periods) -%}
watermark as (
    {{ incremental_watermark() }}
),

stored_instalments as (
    -- each instalment's row at its own due date: always kept (see receivables_kept_row)
    select {{ receivables_instalment_columns() | join(', ') }}
    from {{ this }}
    where processed_load_id is not null and as_of_date = due_date
),

changed_instalment_orders as (
    select coalesce(fresh.order_id, stored.order_id) as order_id
    from {{ instalments }} as fresh
    full outer join stored_instalments as stored
        on fresh.order_id = stored.order_id and fresh.receivable_id = stored.receivable_id
    where
        {% for column in receivables_instalment_columns() -%}
        fresh.{{ column }} is distinct from stored.{{ column }}{{ ' or' if not loop.last }}
        {% endfor %}
),

new_payment_keys as (
    {{ keys_with_new_versions(raw_versions['payments'], 'payment_id') }}
),

previous_payments as (
    {{ versions_at_watermark(raw_versions['payments'], 'payment_id', 'new_payment_keys') }}
),

previous_invoice_keys as (
    select invoice_id from previous_payments
    where invoice_id is not null
    union
    {{ keys_with_new_versions(raw_versions['invoices'], 'invoice_id') }}
),

previous_invoices as (
    {{ versions_at_watermark(raw_versions['invoices'], 'invoice_id', 'previous_invoice_keys') }}
),

changed_orders as (
    select order_id from (
        select order_id from changed_instalment_orders
        union
        select order_id from {{ payments }}
        where processed_load_id > (select load_id from watermark)
        union
        select order_id from previous_payments
        union
        select order_id from previous_invoices
        union
        select order_id from {{ instalments }}
        where (select load_id from watermark) = 0
    ) as orders
    where order_id is not null
),

previous_run as (
    {{ previous_period_run() }}
),

receivable_windows as (
    -- as_of_date m -> M (either way): the days after m up to M; m itself unless it is a
    -- quarter end (then snapshot and aging snapshot under both)
    select
        least(previous.as_of_date, {{ as_of_date() }}) as window_after,
        greatest(previous.as_of_date, {{ as_of_date() }}) as window_to
    from previous_run as previous
    where previous.as_of_date != {{ as_of_date() }}
    union all
    select
        least(previous.as_of_date, {{ as_of_date() }}) - 1 as window_after,
        least(previous.as_of_date, {{ as_of_date() }}) as window_to
    from previous_run as previous
    where
        previous.as_of_date != {{ as_of_date() }}
        and least(previous.as_of_date, {{ as_of_date() }}) not in (
            select period_end from {{ periods }}
            where period_type = 'quarter'
        )
    union all
    select
        least(previous.spine_from, {{ spine_start(periods) }}) - 1 as window_after,
        greatest(previous.spine_from, {{ spine_start(periods) }}) - 1 as window_to
    from previous_run as previous
    where previous.spine_from != {{ spine_start(periods) }}
),

window_days as (
    -- the days of the windows a row can be read at: a stored read date, or a snapshot date
    -- of this run (a due date that is neither keeps its flags and its row)
    select days.window_day
    from (
        select distinct as_of_date as window_day from {{ this }}
        union
        select {{ as_of_date() }} as window_day
        union
        select period_end as window_day from {{ periods }}
        where period_type = 'month' and period_end <= {{ as_of_date() }}
    ) as days
    where exists (
        select 1 from receivable_windows as w
        where days.window_day > w.window_after and days.window_day <= w.window_to
    )
),
{%- endmacro %}

{#- Condition: the pair (`day`, `order_id`) is recomputed: its order changed or its day is a
    day of the windows. -#}
{% macro receivables_recomputed(day, order_id) -%}
    (
        {{ order_id }} in (select changed_orders.order_id from changed_orders)
        or {{ day }} in (select window_days.window_day from window_days)
    )
{%- endmacro %}

{#- receivables_recomputed on an incremental run, else true (the full build reads every pair). -#}
{% macro receivables_recomputed_if_incremental(day, order_id) -%}
    {%- if incremental_fact_active() -%}
        {{ receivables_recomputed(day, order_id) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Tombstones (processed_load_id null) for every stored pair recomputed: the stored rows
    themselves, `columns` in order, so every column keeps its type. -#}
{% macro incremental_receivables_tombstones(columns) -%}
    select
        {%- for column in columns %}
        {{ 'null' if column == 'processed_load_id' else column }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }}
    where processed_load_id is not null and {{ receivables_recomputed('as_of_date', 'order_id') }}
{%- endmacro %}
