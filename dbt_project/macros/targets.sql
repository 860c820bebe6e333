{#- Targets of one period type: the explicit rows of `explicit`, plus the rows of `rolled`
    (sums of finer-grained targets) for the (period, level, scope, metric, product line) with
    no explicit row. -#}
{% macro explicit_else_rolled_up(explicit, rolled, period_type) -%}
    select
        period_type,
        period,
        level,
        scope_id,
        metric,
        product_line,
        target_value,
        'explicit' as target_source
    from {{ explicit }}
    where period_type = '{{ period_type }}'

    union all

    select
        rolled.period_type,
        rolled.period,
        rolled.level,
        rolled.scope_id,
        rolled.metric,
        rolled.product_line,
        rolled.target_value,
        'rolled_up' as target_source
    from {{ rolled }} as rolled
    left join {{ explicit }} as explicit
        on
            rolled.period_type = explicit.period_type
            and rolled.period = explicit.period
            and rolled.level = explicit.level
            and rolled.scope_id = explicit.scope_id
            and rolled.metric = explicit.metric
            and rolled.product_line is not distinct from explicit.product_line
    where explicit.period is null
{%- endmacro %}

{#- The target metrics of the contract (targets.metric), results first. -#}
{% macro result_target_metrics() -%}
    {{- return(['revenue', 'bookings', 'collections', 'new_customers', 'units']) -}}
{%- endmacro %}

{#- The int_sales_performance column holding the actual of a target metric (its target and
    attainment are <column>_target and <column>_attainment): the metric's own name, except
    bookings, whose actual is won_amount. -#}
{% macro target_metric_column(metric) -%}
    {{- return({'bookings': 'won_amount'}.get(metric, metric)) -}}
{%- endmacro %}

{#- The staging model of the records a target metric's actual is computed from: a metric whose
    records were never loaded has no actual (the scorecard leaves it out rather than score 0). -#}
{% macro target_metric_source(metric) -%}
    {{- return({
        'revenue': 'stg_erp__orders', 'new_customers': 'stg_erp__orders', 'units': 'stg_erp__orders',
        'bookings': 'stg_crm__opportunities', 'collections': 'stg_finance__payments',
        'visits': 'stg_crm__activities', 'proposals': 'stg_crm__activities',
        'quotes': 'stg_crm__activities',
    }[metric]) -}}
{%- endmacro %}

{% macro process_target_metrics() -%}
    {{- return(['visits', 'proposals', 'quotes']) -}}
{%- endmacro %}

{#- var target_reasonableness_band as an exact DECIMAL(9,6) literal (a fraction like 0.3). -#}
{% macro target_reasonableness_band() -%}
    {%- set value = var('target_reasonableness_band') | string -%}
    {%- if execute and not modules.re.match('^[0-9]+([.][0-9]+)?$', value) -%}
        {{ exceptions.raise_compiler_error("var target_reasonableness_band must be a fraction like 0.3, got '" ~ value ~ "'") }}
    {%- endif -%}
    cast('{{ value }}' as decimal(9, 6))
{%- endmacro %}

{#- Attainment (完成率) = actual / target as DOUBLE; null when the target is null or not
    positive. Uncapped: caps apply in the scorecard only. -#}
{% macro attainment(actual, target) -%}
    case
        when {{ target }} > 0 then cast({{ actual }} as double) / cast({{ target }} as double)
    end
{%- endmacro %}

{#- The minimum trend at which a quarter target of `metric_column`'s metric is judged for
    reasonableness, as a DECIMAL(38,6) CASE over var target_reasonableness_min_trend (a mapping
    metric -> minimum, in the metric's unit: reporting currency for amounts, a count
    otherwise; a metric not listed: 0, judged whenever there is a trend). -#}
{% macro target_reasonableness_min_trend(metric_column) -%}
    {%- set minimums = var('target_reasonableness_min_trend', {}) -%}
    {%- if execute and minimums is not mapping -%}
        {{ exceptions.raise_compiler_error("var target_reasonableness_min_trend must map metrics to minimum trends, got " ~ minimums) }}
    {%- endif -%}
    {%- set known = result_target_metrics() + process_target_metrics() -%}
    {%- if minimums is mapping and minimums | length > 0 -%}
    case {{ metric_column }}
        {%- for metric, value in minimums.items() %}
        {%- if execute and (metric not in known or value is not number or value < 0) %}
            {{ exceptions.raise_compiler_error("var target_reasonableness_min_trend." ~ metric ~ " must be a target metric with a number >= 0, got " ~ value) }}
        {%- endif %}
        when '{{ metric }}' then cast('{{ value }}' as decimal(38, 6))
        {%- endfor %}
        else cast(0 as decimal(38, 6))
    end
    {%- else -%}
    cast(0 as decimal(38, 6))
    {%- endif -%}
{%- endmacro %}
