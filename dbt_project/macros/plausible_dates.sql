{#-
  The plausible window of dates (vars plausible_dates_from, plausible_dates_to, 'YYYY-MM-DD'):
  a date or timestamp outside it is a typing mistake or a placeholder (1900-01-01 for
  "unknown", 9999-12-31 for "never"). Such a record is loaded and flagged (rule
  date_out_of_range, int_dq_checks_values); the marts read its date as empty (macro
  plausible_date), so no period spine and no period bucket reaches beyond the window.
-#}

{% macro _date_var(name) -%}
    {%- set value = var(name) | string -%}
    {%- if execute and not modules.re.match('^\d{4}-\d{2}-\d{2}$', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be 'YYYY-MM-DD', got '" ~ value ~ "'") }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- First plausible date (a SQL date literal). -#}
{% macro plausible_dates_from() -%}
    {{ _date_var('plausible_dates_from') }}
{%- endmacro %}

{#- Last plausible date (a SQL date literal). -#}
{% macro plausible_dates_to() -%}
    {{ _date_var('plausible_dates_to') }}
{%- endmacro %}

{#- True when the date date_expr lies in the plausible window (null for a null date). -#}
{% macro is_plausible_date(date_expr) -%}
    ({{ date_expr }} between {{ plausible_dates_from() }} and {{ plausible_dates_to() }})
{%- endmacro %}

{#- The date date_expr, or null when it lies outside the plausible window. -#}
{% macro plausible_date(date_expr) -%}
    case when {{ is_plausible_date(date_expr) }} then {{ date_expr }} end
{%- endmacro %}

{#-
  The date and timestamp columns of every entity of the contract (pipelines/core/contract.py;
  tests/transform/test_plausible_dates.py checks this list against it), with the staging model
  holding the current records, the key as int_dq_records names the record (macro record_id),
  and per column its type and whether it records an event that has happened (an event dated
  after the business date is flagged: dated_after_business_date). Not events: a planned date
  (expected_close_date, due_date, a rep's hired_on / left_on), an activity (CRMs export
  scheduled visits and calls), an fx rate (budget rates are set ahead). A fourth element names
  the staging column when it differs (close_date is staged as closed_date: the close date, else
  closed_at's local date).
-#}
{% macro contract_dated_columns() -%}
    {{- return({
        'sales_reps': {'model': 'stg_crm__sales_reps', 'key': ['rep_id'], 'columns': [
            ('hired_on', 'date', false), ('left_on', 'date', false)]},
        'accounts': {'model': 'stg_crm__accounts', 'key': ['account_id'], 'columns': [
            ('created_at', 'timestamp', true)]},
        'leads': {'model': 'stg_crm__leads', 'key': ['lead_id'], 'columns': [
            ('created_at', 'timestamp', true), ('converted_at', 'timestamp', true)]},
        'opportunities': {'model': 'stg_crm__opportunities', 'key': ['opportunity_id'], 'columns': [
            ('created_at', 'timestamp', true), ('expected_close_date', 'date', false),
            ('closed_at', 'timestamp', true), ('last_modified_at', 'timestamp', true),
            ('close_date', 'date', true, 'closed_date')]},
        'opportunity_stage_history': {'model': 'stg_crm__opportunity_stage_history',
            'key': ['opportunity_id', 'stage', key_timestamp_text('entered_at')], 'columns': [
            ('entered_at', 'timestamp', true)]},
        'activities': {'model': 'stg_crm__activities', 'key': ['activity_id'], 'columns': [
            ('occurred_at', 'timestamp', false)]},
        'satisfaction_surveys': {'model': 'stg_crm__satisfaction_surveys',
            'key': ['account_id', 'surveyed_at'], 'columns': [('surveyed_at', 'date', true)]},
        'orders': {'model': 'stg_erp__orders', 'key': ['order_id'], 'columns': [
            ('ordered_at', 'timestamp', true), ('delivered_at', 'timestamp', true)]},
        'invoices': {'model': 'stg_erp__invoices', 'key': ['invoice_id'], 'columns': [
            ('issued_at', 'date', true), ('due_date', 'date', false)]},
        'payments': {'model': 'stg_finance__payments', 'key': ['payment_id'], 'columns': [
            ('paid_at', 'timestamp', true)]},
        'fx_rates': {'model': 'stg_finance__fx_rates', 'key': ['rate_date', 'currency'], 'columns': [
            ('rate_date', 'date', false)]},
        'rep_assignments': {'model': 'stg_crm__rep_assignments', 'key': ['rep_id', 'effective_from'],
            'columns': [('effective_from', 'date', false), ('effective_to', 'date', false)]},
    }) -}}
{%- endmacro %}

{#- A date or timestamp column's calendar date (a timestamp's in var business_timezone). -#}
{% macro calendar_date_of(column, column_type) -%}
    {%- if column_type == 'timestamp' -%}{{ local_date(column) }}{%- else -%}{{ column }}{%- endif -%}
{%- endmacro %}

{#- A date or timestamp as findings show it: 'YYYY-MM-DD', a timestamp as local time. -#}
{% macro date_value_text(column, column_type) -%}
    {%- if column_type == 'timestamp' -%}{{ key_timestamp_text(column) }}{%- else -%}{{ format_date(column, '%Y-%m-%d') }}{%- endif -%}
{%- endmacro %}
