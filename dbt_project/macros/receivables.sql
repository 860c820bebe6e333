{#- The aging bucket of a number of days overdue: not_due (0), 1_30, 31_60, 61_90, over_90. -#}
{% macro aging_bucket(days) -%}
    case
        when {{ days }} = 0 then 'not_due'
        when {{ days }} <= 30 then '1_30'
        when {{ days }} <= 60 then '31_60'
        when {{ days }} <= 90 then '61_90'
        else 'over_90'
    end
{%- endmacro %}

{#- The loss rate of an aging bucket: var receivables_loss_rates (docs/metrics.md). -#}
{% macro loss_rate(bucket) -%}
    {%- set rates = var('receivables_loss_rates') -%}
    {%- set whens = [] -%}
    {%- for name in ['not_due', '1_30', '31_60', '61_90', 'over_90'] -%}
        {%- do whens.append("when '" ~ name ~ "' then cast(" ~ rates[name] ~ " as decimal(9, 6))") -%}
    {%- endfor -%}
    case {{ bucket }} {{ whens | join(' ') }} end
{%- endmacro %}
