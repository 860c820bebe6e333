{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['incremental_fact'],
        pre_hook="{{ incremental_fact_history_reset() }}",
        post_hook="{{ incremental_fact_drop_tombstones() }}"
    )
}}

{#- Incremental per order (macros/incremental.sql, incremental_record_ctes): an order's lines
    are recomputed when any of them has a new raw version, or when the product of one of its
    lines has a new version (product_line). -#}

{#- The raw-versions models the incremental path reads (macros/incremental.sql), named here
    unconditionally so that dbt records the dependency. -#}
{%- set order_line_versions = ref('stg_erp__order_line_raw_versions') -%}
{%- set product_versions = ref('stg_erp__product_raw_versions') -%}
with

{% if incremental_fact_active() -%}
{{ incremental_record_ctes(
    order_line_versions, 'order_id', ['order_id', 'line_no'],
    also_changed=fact_keys_looking_up_changed(
        'order_id', 'product_id', product_versions, 'product_id'
    )
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
