{#- var funnel_stage_evidence, checked: 'recorded' (default: a stage counts when the stage history
    or the current stage shows it) or 'implied' (every stage before the furthest one reached
    counts too). Any other value stops the compile. -#}
{% macro funnel_stage_evidence() -%}
    {%- set evidence = var('funnel_stage_evidence', 'recorded') | string -%}
    {%- if evidence not in ['recorded', 'implied'] and execute -%}
        {{ exceptions.raise_compiler_error(
            "var funnel_stage_evidence must be 'recorded' or 'implied', got '" ~ evidence ~ "'"
        ) }}
    {%- endif -%}
    {{- return(evidence) -}}
{%- endmacro %}
