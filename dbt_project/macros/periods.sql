{#-
  Period labels and bounds. Months keep the calendar label ('2026-07'); quarters ('2026Q3')
  and years ('2026') follow var fiscal_year_start_month (1 = calendar). A fiscal year is
  labelled by the calendar year in which it starts: with start month 4, 2026Q1 = Apr-Jun 2026
  and year '2026' = 2026-04-01 .. 2027-03-31.
-#}

{% macro fiscal_shift_months() -%}
    {%- set start = var('fiscal_year_start_month') | int -%}
    {%- if execute and (start < 1 or start > 12) -%}
        {{ exceptions.raise_compiler_error("var fiscal_year_start_month must be 1..12, got " ~ start) }}
    {%- endif -%}
    {{- return(start - 1 if start >= 1 else 0) -}}
{%- endmacro %}

{#- The date moved back into its fiscal position (start month -> January). -#}
{% macro _fiscal_date(date_expr) -%}
    {%- set shift = fiscal_shift_months() -%}
    {%- if shift == 0 -%}
        {{ date_expr }}
    {%- else -%}
        cast({{ date_expr }} - interval {{ shift }} month as date)
    {%- endif -%}
{%- endmacro %}

{% macro period_months(period_type) -%}
    {{- return({'month': 1, 'quarter': 3, 'year': 12}[period_type]) -}}
{%- endmacro %}

{#- Label of the period of type period_type (month | quarter | year) containing date_expr. -#}
{% macro period_label(date_expr, period_type) -%}
    {%- if period_type == 'month' -%}
        {{ format_date(date_expr, '%Y-%m') }}
    {%- elif period_type == 'quarter' -%}
        (cast(year({{ _fiscal_date(date_expr) }}) as {{ type_text() }}) || 'Q' || cast(quarter({{ _fiscal_date(date_expr) }}) as {{ type_text() }}))
    {%- elif period_type == 'year' -%}
        cast(year({{ _fiscal_date(date_expr) }}) as {{ type_text() }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown period_type " ~ period_type) }}
    {%- endif -%}
{%- endmacro %}

{#- First day of the period of type period_type containing date_expr. -#}
{% macro period_start(date_expr, period_type) -%}
    {%- set shift = fiscal_shift_months() -%}
    {%- if period_type == 'month' or shift == 0 -%}
        cast(date_trunc('{{ period_type }}', {{ date_expr }}) as date)
    {%- else -%}
        cast(date_trunc('{{ period_type }}', {{ _fiscal_date(date_expr) }}) + interval {{ shift }} month as date)
    {%- endif -%}
{%- endmacro %}

{#- Last day of the period of type period_type that starts on start_expr. -#}
{% macro period_end(start_expr, period_type) -%}
    cast({{ start_expr }} + interval {{ period_months(period_type) }} month - interval 1 day as date)
{%- endmacro %}

{#- Ordered sales path used by the funnel (lost is not on the path). -#}
{% macro funnel_stages() -%}
    {{- return(['qualified', 'discovery', 'proposal', 'negotiation', 'won']) -}}
{%- endmacro %}

{#- SQL CASE giving the 1-based position of a stage on the funnel path (null for lost). -#}
{% macro funnel_stage_order(stage_expr) -%}
    case {{ stage_expr }}
        {%- for stage in funnel_stages() %}
        when '{{ stage }}' then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}

{#- SQL CASE giving the position of a stage in the sales process, for detecting moves backwards:
    the funnel path 1 (qualified) .. 5 (won), and lost level with won (both close the deal), so
    leaving either closed stage for an open one is a step back while won <-> lost is not. -#}
{% macro process_stage_order(stage_expr) -%}
    case {{ stage_expr }}
        {%- for stage in funnel_stages() %}
        when '{{ stage }}' then {{ loop.index }}
        {%- endfor %}
        when 'lost' then {{ funnel_stages() | length }}
    end
{%- endmacro %}

{#- SQL CASE giving the win probability of a stage: var stage_probabilities for open stages,
    1 for won, 0 for lost (DECIMAL(9,6)). -#}
{% macro stage_probability(stage_expr) -%}
    {%- set probabilities = var('stage_probabilities') -%}
    {%- if probabilities is not mapping -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var stage_probabilities must map stage -> probability") }}
        {%- endif -%}
        {%- set probabilities = {} -%}
    {%- endif -%}
    case {{ stage_expr }}
        {%- for stage, probability in probabilities.items() %}
        when '{{ stage }}' then cast({{ probability }} as decimal(9, 6))
        {%- endfor %}
        when 'won' then cast(1 as decimal(9, 6))
        else cast(0 as decimal(9, 6))
    end
{%- endmacro %}

{#- First day of the period named by label_expr ('2026-07', '2026Q3', '2026'), following var
    fiscal_year_start_month for quarters and years (the inverse of period_label). Null for a
    label of none of these forms. -#}
{% macro period_start_from_label(label_expr) -%}
    {{- return(adapter.dispatch('period_start_from_label', 'salesops')(label_expr)) -}}
{%- endmacro %}

{% macro default__period_start_from_label(label_expr) -%}
    {%- set shift = fiscal_shift_months() -%}
    case
        when regexp_full_match({{ label_expr }}, '\d{4}-(0[1-9]|1[0-2])')
            then cast({{ label_expr }} || '-01' as date)
        when regexp_full_match({{ label_expr }}, '\d{4}Q[1-4]')
            then cast(
                make_date(cast(left({{ label_expr }}, 4) as integer), 1, 1)
                + to_months({{ shift }} + 3 * (cast(right({{ label_expr }}, 1) as integer) - 1))
                as date
            )
        when regexp_full_match({{ label_expr }}, '\d{4}')
            then cast(make_date(cast({{ label_expr }} as integer), 1, 1) + to_months({{ shift }}) as date)
    end
{%- endmacro %}

{#- The period type a label names (month | quarter | year), null for anything else. -#}
{% macro period_type_of_label(label_expr) -%}
    {{- return(adapter.dispatch('period_type_of_label', 'salesops')(label_expr)) -}}
{%- endmacro %}

{% macro default__period_type_of_label(label_expr) -%}
    case
        when regexp_full_match({{ label_expr }}, '\d{4}') then 'year'
        when regexp_full_match({{ label_expr }}, '\d{4}Q[1-4]') then 'quarter'
        when regexp_full_match({{ label_expr }}, '\d{4}-(0[1-9]|1[0-2])') then 'month'
    end
{%- endmacro %}

{#- SQL CASE giving the months of a period type column (month 1, quarter 3, year 12). -#}
{% macro period_months_expr(period_type_expr) -%}
    case {{ period_type_expr }} when 'month' then 1 when 'quarter' then 3 when 'year' then 12 end
{%- endmacro %}

{#- Spark: rlike on the whole text (raw literals: the backslashes reach the regex), add_months. -#}
{% macro spark__period_start_from_label(label_expr) -%}
    {%- set shift = fiscal_shift_months() -%}
    case
        when {{ label_expr }} rlike r'^\d{4}-(0[1-9]|1[0-2])$'
            then cast({{ label_expr }} || '-01' as date)
        when {{ label_expr }} rlike r'^\d{4}Q[1-4]$'
            then add_months(
                make_date(cast(left({{ label_expr }}, 4) as integer), 1, 1),
                {{ shift }} + 3 * (cast(right({{ label_expr }}, 1) as integer) - 1)
            )
        when {{ label_expr }} rlike r'^\d{4}$'
            then add_months(make_date(cast({{ label_expr }} as integer), 1, 1), {{ shift }})
    end
{%- endmacro %}

{% macro spark__period_type_of_label(label_expr) -%}
    case
        when {{ label_expr }} rlike r'^\d{4}$' then 'year'
        when {{ label_expr }} rlike r'^\d{4}Q[1-4]$' then 'quarter'
        when {{ label_expr }} rlike r'^\d{4}-(0[1-9]|1[0-2])$' then 'month'
    end
{%- endmacro %}
