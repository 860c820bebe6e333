{#- SQL CASE giving the lead potential points of a company size band: var lead_score_size_points
    (band -> points); an unknown or empty band scores 0. -#}
{% macro lead_size_points(size_band_expr) -%}
    {%- set points = var('lead_score_size_points') -%}
    {%- if points is not mapping -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var lead_score_size_points must map size band -> points") }}
        {%- endif -%}
        {%- set points = {} -%}
    {%- endif -%}
    case {{ size_band_expr }}
        {%- for band, value in points.items() %}
        when '{{ band }}' then {{ value | int }}
        {%- endfor %}
        else 0
    end
{%- endmacro %}
