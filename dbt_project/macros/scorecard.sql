{#-
  Scorecard parameters (fct_rep_scorecard). var scorecard_weights maps result / process /
  capability to weights in 0..1 that sum to 1; var scorecard_attainment_cap is the attainment
  (a fraction, 1.5 = 150%) above which a result or process metric earns no more points: the
  bonus ceiling (100% attainment = 100 points, the cap = cap × 100 points, 150 by default).
-#}

{#- Check var scorecard_weights (a mapping of result / process / capability to weights 0..1
    summing to 1) and var scorecard_attainment_cap; compile error otherwise. Renders nothing:
    int_rep_scorecard computes with them and fct_rep_scorecard, which publishes it, calls it too,
    so compiling either with wrong parameters fails. -#}
{% macro check_scorecard_vars() -%}
    {%- set weights = var('scorecard_weights') -%}
    {%- set parts = ['result', 'process', 'capability'] -%}
    {%- if execute -%}
        {%- if weights is not mapping or (weights.keys() | list | sort) != (parts | sort) -%}
            {{ exceptions.raise_compiler_error("var scorecard_weights must map exactly result, process and capability to weights, got " ~ weights) }}
        {%- endif -%}
        {%- set ns = namespace(total=0) -%}
        {%- for name in parts -%}
            {%- set value = weights[name] -%}
            {%- if value is not number or value < 0 or value > 1 -%}
                {{ exceptions.raise_compiler_error("var scorecard_weights." ~ name ~ " must be a number from 0 to 1, got " ~ value) }}
            {%- endif -%}
            {%- set ns.total = ns.total + value -%}
        {%- endfor -%}
        {%- if (ns.total - 1) | abs > 0.000001 -%}
            {{ exceptions.raise_compiler_error("var scorecard_weights must sum to 1 (result + process + capability), got " ~ ns.total ~ " from " ~ weights ~ "; fix the weights in dbt_project.yml or --vars") }}
        {%- endif -%}
    {%- endif -%}
    {%- set _cap = scorecard_attainment_cap() -%}
{%- endmacro %}

{#- The weight of one part (result | process | capability) as a DECIMAL(9,6) literal, after
    checking the whole mapping. -#}
{% macro scorecard_weight(part) -%}
    {%- set weights = var('scorecard_weights') -%}
    {%- set _checked = check_scorecard_vars() -%}
    cast('{{ weights[part] if weights is mapping else 0 }}' as decimal(9, 6))
{%- endmacro %}

{#- var scorecard_attainment_cap as a DOUBLE literal, checked to be a positive number. -#}
{% macro scorecard_attainment_cap() -%}
    {%- set value = var('scorecard_attainment_cap') -%}
    {%- if execute and (value is not number or value <= 0) -%}
        {{ exceptions.raise_compiler_error("var scorecard_attainment_cap must be a positive number like 1.5 (150%), got " ~ value) }}
    {%- endif -%}
    cast({{ value }} as double)
{%- endmacro %}

{#- Points (DOUBLE) of an attainment: least(attainment, cap) × 100, so on target (100%) earns
    100 points and above-target attainment a bonus up to the cap (150 points at 150% by
    default); null stays null (DuckDB's least skips nulls, hence the case). Attainment is
    never negative. -#}
{% macro capped_points(attainment) -%}
    case
        when {{ attainment }} is not null
            then least({{ attainment }}, {{ scorecard_attainment_cap() }}) * 100
    end
{%- endmacro %}
