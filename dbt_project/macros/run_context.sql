{#- The run's business date as a SQL date literal (var as_of_date, 'YYYY-MM-DD'). -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date') | string -%}
    {%- if execute and not modules.re.match('^\d{4}-\d{2}-\d{2}$', value) -%}
        {{ exceptions.raise_compiler_error("var as_of_date must be 'YYYY-MM-DD', got '" ~ value ~ "'") }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- Local calendar date of a timestamptz in var business_timezone. -#}
{% macro local_date(timestamp_column) -%}
    {%- set zone = var('business_timezone') | string -%}
    {%- if execute and not modules.re.match('^[A-Za-z][A-Za-z0-9_+/-]*$', zone) -%}
        {{ exceptions.raise_compiler_error("var business_timezone must be an IANA zone name, got '" ~ zone ~ "'") }}
    {%- endif -%}
    {{ date_in_zone(timestamp_column, zone) }}
{%- endmacro %}

{#- The reporting currency as a SQL string literal. -#}
{% macro reporting_currency() -%}
    {%- set code = var('reporting_currency') | string | upper -%}
    {%- if execute and not modules.re.match('^[A-Z]{3}$', code) -%}
        {{ exceptions.raise_compiler_error("var reporting_currency must be an ISO 4217 code, got '" ~ code ~ "'") }}
    {%- endif -%}
    '{{ code }}'
{%- endmacro %}

{#- Current load id as an integer literal. -#}
{% macro load_id() -%}
    cast({{ var('load_id') | int }} as bigint)
{%- endmacro %}
