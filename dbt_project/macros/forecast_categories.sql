{#- The forecast category of an opportunity (contract FORECAST_CATEGORIES, lower-cased at
    load): pipeline | best_case | commit | closed | omitted; null when not exported or not one
    of these (such a value is loaded and flagged unknown_forecast_category). -#}
{% macro forecast_category(column) -%}
    case
        when {{ column }} in ('pipeline', 'best_case', 'commit', 'closed', 'omitted')
            then {{ column }}
    end
{%- endmacro %}
