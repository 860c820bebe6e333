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
  The line's amount, in the order currency (the one place it is computed; every model that
  sums line revenue reads line_amount from here): the export's own line_amount when given,
  else quantity × unit_price − discount, the discount being discount_amount when given, else
  quantity × unit_price × discount_rate, else 0. A computed amount is rounded half away from
  zero to 6 places (the contract's decimal places), so it is exact while quantity × unit_price
  stays below 10^20 (beyond, DuckDB stops the run with an overflow error, never a wrong sum).
-#}
{#- Incremental per order (macros/incremental.sql, incremental_record_ctes): an order's lines
    are recomputed when any of them has a new raw version, or when the product of one of its
    lines has a new version (product_line). -#}

{#- The raw-versions models the incremental path reads (macros/incremental.sql), named here
    unconditionally so that dbt records the dependency; those of records and their parents
    (macros/deleted_parents.sql) likewise. -#}
{%- set registry = {'references': parent_references(), 'entities': parent_entities()} -%}
{%- do depends_on_parent_models('order_lines', registry) -%}
{%- set order_line_versions = ref('stg_erp__order_line_raw_versions') -%}
{%- set product_versions = ref('stg_erp__product_raw_versions') -%}
with

{% if incremental_fact_active() -%}
{{ incremental_record_ctes(
    order_line_versions, 'order_id', ['order_id', 'line_no'],
    also_changed=fact_keys_looking_up_changed(
        'order_id', 'product_id', product_versions, 'product_id'
    ),
    entity='order_lines'
) }}
{%- endif %}

order_lines as (

    {% if incremental_fact_active() -%}
    select * from live_versions
    {%- else -%}
    select * from {{ ref('stg_erp__order_lines') }}
    {%- endif %}

),

products as (

    select * from {{ ref('stg_erp__products') }}

),

final as (

    select
        order_lines.order_id,
        order_lines.line_no,
        order_lines.product_id,
        order_lines.quantity,
        order_lines.unit_price,
        order_lines.discount_amount,
        order_lines.discount_rate,
        order_lines.line_amount is not null as has_exported_amount,
        cast(
            case
                when order_lines.line_amount is not null then order_lines.line_amount
                when order_lines.discount_amount is not null
                    then round(
                        cast(order_lines.quantity as decimal(38, 6)) * order_lines.unit_price
                        - order_lines.discount_amount,
                        6
                    )
                else round(
                    cast(order_lines.quantity as decimal(38, 6)) * order_lines.unit_price
                    * (1 - coalesce(order_lines.discount_rate, 0)),
                    6
                )
            end
            as decimal(38, 6)
        ) as line_amount,
        order_lines.load_id,
        products.product_line,
        {{ fact_load_stamp() }} as processed_load_id
    from order_lines
    left join products
        on order_lines.product_id = products.product_id
    {%- if incremental_fact_active() %}
    union all by name
    {{ incremental_key_tombstones('order_id') }}
    {%- endif %}

)

select * from final
