{#-
  First day of a period given its label (the inverse of period_label): '2026-07' (month),
  '2026Q3' (quarter) and '2026' (year), quarters and years following var
  fiscal_year_start_month. For periods beyond the int_periods spine (expected close dates,
  future targets).
-#}
{% macro period_start_of_label(label_expr, period_type) -%}
    {{- return(adapter.dispatch('period_start_of_label', 'salesops')(label_expr, period_type)) -}}
{%- endmacro %}

{% macro default__period_start_of_label(label_expr, period_type) -%}
    {%- set shift = fiscal_shift_months() -%}
    {%- if period_type == 'month' -%}
        cast(({{ label_expr }}) || '-01' as date)
    {%- elif period_type == 'quarter' -%}
        cast(
            make_date(cast(left({{ label_expr }}, 4) as integer), 1, 1)
            + to_months(cast({{ shift }} + 3 * (cast(right({{ label_expr }}, 1) as integer) - 1) as integer))
            as date
        )
    {%- elif period_type == 'year' -%}
        cast(make_date(cast(left({{ label_expr }}, 4) as integer), 1, 1) + to_months({{ shift }}) as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown period_type " ~ period_type) }}
    {%- endif -%}
{%- endmacro %}

{#- The same for a period_type column holding month | quarter | year. -#}
{% macro period_start_of_typed_label(label_expr, period_type_expr) -%}
    case {{ period_type_expr }}
        {%- for period_type in ['month', 'quarter', 'year'] %}
        when '{{ period_type }}' then {{ period_start_of_label(label_expr, period_type) }}
        {%- endfor %}
    end
{%- endmacro %}

{#- Last day of the period of type period_type_expr (a column) starting on start_expr. -#}
{% macro period_end_of_typed_start(start_expr, period_type_expr) -%}
    case {{ period_type_expr }}
        {%- for period_type in ['month', 'quarter', 'year'] %}
        when '{{ period_type }}' then {{ period_end(start_expr, period_type) }}
        {%- endfor %}
    end
{%- endmacro %}

{% macro spark__period_start_of_label(label_expr, period_type) -%}
    {%- set shift = fiscal_shift_months() -%}
    {%- if period_type == 'month' -%}
        cast(({{ label_expr }}) || '-01' as date)
    {%- elif period_type == 'quarter' -%}
        add_months(
            make_date(cast(left({{ label_expr }}, 4) as integer), 1, 1),
            cast({{ shift }} + 3 * (cast(right({{ label_expr }}, 1) as integer) - 1) as integer)
        )
    {%- elif period_type == 'year' -%}
        add_months(make_date(cast(left({{ label_expr }}, 4) as integer), 1, 1), {{ shift }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown period_type " ~ period_type) }}
    {%- endif -%}
{%- endmacro %}
