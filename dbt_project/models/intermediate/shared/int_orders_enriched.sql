{{
    config(
        materialized=incremental_materialization(),
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['incremental_fact'],
        pre_hook="{{ incremental_fact_history_reset() }}",
        post_hook="{{ incremental_fact_drop_tombstones() }}"
    )
}}

{#-
  Orders with their amount, the reporting amount, the first-order flag and the team and region the rep was
  in on the order date (int_sales_rep_history: valid_from <= ordered_date < valid_to), so a
  later move of the rep does not move past orders. The order's amount (total_amount) is its
  exported total_amount, else the sum of its lines' amounts (int_order_lines_enriched
  .line_amount), else null (an order with neither: flagged order_without_amount; it counts in
  order counts, not in revenue). Incremental: macros/incremental.sql
  (incremental_orders_ctes lists what recomputes an order).
-#}
{#- The raw-versions models the incremental path reads (macros/incremental.sql), named here
    unconditionally so that dbt records the dependency; those of records and their parents
    (macros/deleted_parents.sql) likewise. -#}
{%- set registry = {'references': parent_references(), 'entities': parent_entities()} -%}
{%- do depends_on_parent_models('orders', registry) -%}
{%- set raw_versions = {
    'orders': ref('stg_erp__order_raw_versions'),
    'order_lines': ref('stg_erp__order_line_raw_versions'),
    'sales_reps': ref('stg_crm__sales_rep_raw_versions'),
    'rep_assignments': ref('stg_crm__rep_assignment_raw_versions'),
    'fx_rates': ref('stg_finance__fx_rate_raw_versions'),
} -%}
with

{% if incremental_fact_active() -%}
{{ incremental_orders_ctes(raw_versions, ref('int_fx_rates')) }}
{%- endif %}

orders as (

    {% if incremental_fact_active() -%}
    {{ live_records('order_versions') }}
    {%- else -%}
    select * from {{ ref('stg_erp__orders') }}
    {%- endif %}

),

order_lines as (

    select * from {{ ref('int_order_lines_enriched') }}

),

-- the sum of each order's line amounts: the amount of an order exported without a total
line_totals as (

    select
        order_lines.order_id,
        sum(order_lines.line_amount) as lines_amount
    from order_lines
    {%- if incremental_fact_active() %}
    where order_lines.order_id in (select changed_order_keys.order_id from changed_order_keys)
    {%- endif %}
    group by order_lines.order_id

),

amounts as (

    select
        {{ star_except('total_amount', 'orders') }},
        orders.total_amount as exported_total_amount,
        orders.total_amount is null and line_totals.lines_amount is not null as is_total_from_lines,
        cast(coalesce(orders.total_amount, line_totals.lines_amount) as decimal(38, 6)) as total_amount
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

converted as (

    select
        orders.order_id,
        orders.account_id,
        orders.opportunity_id,
        orders.rep_id,
        rep_history.team,
        rep_history.region,
        orders.ordered_at,
        orders.ordered_date,
        orders.status,
        orders.status != 'cancelled' as is_booked,
        orders.currency,
        orders.total_amount,
        orders.exported_total_amount,
        orders.is_total_from_lines,
        fx.rate_to_reporting as fx_rate,
        {{ to_reporting('orders.total_amount', 'fx.rate_to_reporting') }} as total_amount_reporting,
        orders.payment_terms_days,
        orders.channel,
        orders.delivered_at,
        orders.delivered_date
    from amounts as orders
    left join rep_history
        on {{ rep_history_at('rep_history', 'orders.rep_id', 'orders.ordered_date') }}
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'orders.currency', 'orders.ordered_date') }}

),

first_orders as (

    {% if incremental_fact_active() -%}
    {{ incremental_first_orders('converted') }}
    {%- else -%}
    select
        *,
        is_booked
        and row_number() over (
            partition by account_id, is_booked
            order by ordered_at, order_id
        ) = 1 as is_first_order
    from converted
    {%- endif %}

),

final as (

    select
        *,
        {{ fact_load_stamp() }} as processed_load_id
    from first_orders
    {%- if incremental_fact_active() %}
    union all by name
    {{ incremental_order_tombstones() }}
    {%- endif %}

)

select * from final
