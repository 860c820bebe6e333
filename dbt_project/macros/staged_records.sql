{#-
  The staging shape (columns and casts) of the records the incremental facts recompute or look
  up, written once. Each macro selects from `versions`, a relation or CTE of raw versions:
  - the staging model (stg_<source>__<entity>s) applies it to the current version of each
    record;
  - the raw-versions model (stg_<source>__<entity>_raw_versions) applies it to every raw
    version with `with_lineage=true`, which adds source_row (raw _source_row) and is_deleted
    (the version is a deletion marker); the incremental path (macros/incremental.sql) reads
    those, so it recomputes records in exactly the staging shape.
-#}

{#- The two lineage columns of a raw-versions model (after the staged columns). -#}
{% macro _raw_version_lineage(with_lineage) -%}
    {%- if with_lineage -%},
        _source_row as source_row,
        coalesce(_deleted, false) as is_deleted
    {%- endif -%}
{%- endmacro %}

{#- stg_crm__sales_reps; stg_crm__sales_rep_raw_versions -#}
{% macro staged_sales_reps(versions, with_lineage=false) -%}
    select
        rep_id,
        rep_name,
        email,
        team,
        region,
        manager_id,
        role,
        cast(hired_on as date) as hired_on,
        cast(left_on as date) as left_on,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}

{#- stg_crm__activities; stg_crm__activity_raw_versions -#}
{% macro staged_activities(versions, with_lineage=false) -%}
    select
        activity_id,
        rep_id,
        account_id,
        opportunity_id,
        type,
        cast(occurred_at as {{ type_timestamptz() }}) as occurred_at,
        {{ local_date('occurred_at') }} as occurred_date,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}

{#- stg_erp__products; stg_erp__product_raw_versions -#}
{% macro staged_products(versions, with_lineage=false) -%}
    select
        product_id,
        product_name,
        product_line,
        cast(list_price as decimal(18, 6)) as list_price,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}

{#- stg_erp__orders; stg_erp__order_raw_versions -#}
{% macro staged_orders(versions, with_lineage=false) -%}
    select
        order_id,
        account_id,
        opportunity_id,
        rep_id,
        cast(ordered_at as {{ type_timestamptz() }}) as ordered_at,
        {{ local_date('ordered_at') }} as ordered_date,
        status,
        currency,
        cast(total_amount as decimal(18, 6)) as total_amount,
        channel,
        cast(payment_terms_days as bigint) as payment_terms_days,
        cast(delivered_at as {{ type_timestamptz() }}) as delivered_at,
        {{ local_date('delivered_at') }} as delivered_date,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}

{#- stg_erp__order_lines; stg_erp__order_line_raw_versions -#}
{% macro staged_order_lines(versions, with_lineage=false) -%}
    select
        order_id,
        cast(line_no as bigint) as line_no,
        product_id,
        cast(quantity as decimal(18, 6)) as quantity,
        cast(unit_price as decimal(18, 6)) as unit_price,
        cast(discount_amount as decimal(18, 6)) as discount_amount,
        cast(discount_rate as decimal(18, 6)) as discount_rate,
        cast(line_amount as decimal(18, 6)) as line_amount,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}

{#- stg_erp__invoices; stg_erp__invoice_raw_versions -#}
{% macro staged_invoices(versions, with_lineage=false) -%}
    select
        invoice_id,
        order_id,
        cast(issued_at as date) as issued_at,
        cast(due_date as date) as due_date,
        cast(amount as decimal(18, 6)) as amount,
        currency,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}

{#- stg_finance__payments; stg_finance__payment_raw_versions -#}
{% macro staged_payments(versions, with_lineage=false) -%}
    select
        payment_id,
        order_id,
        invoice_id,
        cast(paid_at as {{ type_timestamptz() }}) as paid_at,
        {{ local_date('paid_at') }} as paid_date,
        cast(amount as decimal(18, 6)) as amount,
        currency,
        method,
        reference,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}

{#- stg_finance__fx_rates; stg_finance__fx_rate_raw_versions -#}
{% macro staged_fx_rates(versions, with_lineage=false) -%}
    select
        cast(rate_date as date) as rate_date,
        currency,
        cast(rate_to_reporting as decimal(38, 18)) as rate_to_reporting,
        _load_id as load_id{{ _raw_version_lineage(with_lineage) }}
    from {{ versions }}
{%- endmacro %}
