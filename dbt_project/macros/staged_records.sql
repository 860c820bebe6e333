{#-
  The staging shape (columns and casts) of records read from raw versions, shared by the
  staging view and the incremental fact that recomputes the same records from their current
  versions (macros/incremental.sql), so the two cannot drift apart. `versions`: a relation or
  CTE of raw versions, one per record.
-#}

{#- stg_erp__order_lines; int_order_lines_enriched -#}
{% macro staged_order_lines(versions) -%}
    select
        order_id,
        cast(line_no as bigint) as line_no,
        product_id,
        cast(quantity as decimal(18, 6)) as quantity,
        cast(unit_price as decimal(18, 6)) as unit_price,
        cast(discount_amount as decimal(18, 6)) as discount_amount,
        _load_id as load_id
    from {{ versions }}
{%- endmacro %}

{#- stg_crm__activities; int_activities -#}
{% macro staged_activities(versions) -%}
    select
        activity_id,
        rep_id,
        account_id,
        opportunity_id,
        type,
        cast(occurred_at as timestamptz) as occurred_at,
        {{ local_date('occurred_at') }} as occurred_date,
        _load_id as load_id
    from {{ versions }}
{%- endmacro %}
