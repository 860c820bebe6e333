{{
    config(
        materialized=incremental_materialization(),
        unique_key='payment_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['incremental_fact'],
        pre_hook="{{ incremental_fact_history_reset() }}",
        post_hook="{{ incremental_fact_drop_tombstones() }}"
    )
}}

{#- Incremental: macros/incremental.sql (incremental_payments_ctes lists what recomputes a payment). -#}
{#- The raw-versions models the incremental path reads (macros/incremental.sql), named here
    unconditionally so that dbt records the dependency; those of records and their parents
    (macros/deleted_parents.sql) likewise. -#}
{%- set registry = {'references': parent_references(), 'entities': parent_entities()} -%}
{%- do depends_on_parent_models('invoices', registry) -%}
{%- set raw_versions = {
    'payments': ref('stg_finance__payment_raw_versions'),
    'invoices': ref('stg_erp__invoice_raw_versions'),
    'orders': ref('stg_erp__order_raw_versions'),
    'fx_rates': ref('stg_finance__fx_rate_raw_versions'),
} -%}
with

{% if incremental_fact_active() -%}
{{ incremental_payments_ctes(raw_versions, ref('int_orders_enriched'), ref('int_fx_rates')) }}
{%- endif %}

payments as (

    {% if incremental_fact_active() -%}
    {{ live_records('payment_versions') }}
    {%- else -%}
    select * from {{ ref('stg_finance__payments') }}
    {%- endif %}

),

invoices as (

    {% if incremental_fact_active() -%}
    {{ live_records('invoice_versions') }}
    {%- else -%}
    select * from {{ ref('stg_erp__invoices') }}
    {%- endif %}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

linked as (

    select
        payments.*,
        coalesce(payments.order_id, invoices.order_id) as linked_order_id,
        case
            when payments.order_id is not null then 'order'
            when invoices.order_id is not null then 'invoice'
            else 'unlinked'
        end as link_type
    from payments
    left join invoices
        on payments.invoice_id = invoices.invoice_id

),

rated as (

    select
        linked.payment_id,
        linked.linked_order_id as order_id,
        linked.invoice_id,
        linked.link_type,
        orders.order_id is not null as has_order,
        orders.account_id,
        orders.rep_id,
        orders.team,
        orders.region,
        linked.paid_at,
        linked.paid_date,
        linked.amount,
        linked.currency,
        linked.method,
        linked.reference,
        payment_fx.rate_to_reporting as fx_rate,
        {{ to_reporting('linked.amount', 'payment_fx.rate_to_reporting') }} as amount_reporting,
        orders.currency as order_currency,
        -- only needed (and only computed) for a payment in another currency than its order's
        case
            when upper(linked.currency) != upper(orders.currency)
                then {{ times_rate('linked.amount', 'payment_fx.rate_to_reporting', 18) }}
        end as amount_reporting_exact,
        order_fx.rate_to_reporting as order_rate
    from linked
    left join orders
        on linked.linked_order_id = orders.order_id
    left join fx_rates as payment_fx
        on {{ fx_rate_for('payment_fx', 'linked.currency', 'linked.paid_date') }}
    left join fx_rates as order_fx
        on {{ fx_rate_for('order_fx', 'orders.currency', 'linked.paid_date') }}

),

converted as (

    select
        payment_id,
        order_id,
        invoice_id,
        link_type,
        has_order,
        account_id,
        rep_id,
        team,
        region,
        paid_at,
        paid_date,
        amount,
        currency,
        method,
        reference,
        fx_rate,
        amount_reporting,
        order_currency,
        {{ convert_between(
            'amount', 'upper(currency)', 'upper(order_currency)', 'amount_reporting_exact', 'order_rate'
        ) }} as amount_order_currency
    from rated

),

final as (

    select
        *,
        {{ fact_load_stamp() }} as processed_load_id
    from converted
    {%- if incremental_fact_active() %}
    union all by name
    {{ incremental_payment_tombstones() }}
    {%- endif %}

)

select * from final
