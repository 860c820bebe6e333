{#-
  Data-quality rules of family values (expectations/rules.yml) computed in dbt as of
  as_of_date, over every date and timestamp column of the contract (macro
  contract_dated_columns; a timestamp by its date in var business_timezone):
  - date_out_of_range: the date lies outside [var plausible_dates_from, var plausible_dates_to]
    (1900-01-01 for "unknown", 9999-12-31 for "never", 2206 for 2026);
  - dated_after_business_date: an event (a creation, a stage change, an order, a delivery, an
    invoice, a payment, a survey, a close) dated more than var future_grace_days days after
    as_of_date; a date already out of range is reported as that only.
  The owner is the record's as int_dq_records names it. Rows in the shape of int_dq_checks.
-#}
{%- set entities = contract_dated_columns() -%}
with

records as (

    select * from {{ ref('int_dq_records') }}

),

{% for entity, spec in entities.items() -%}
{{ entity }}_dates as (

    {% for item in spec['columns'] -%}
    {%- set column, column_type, is_event = item[0], item[1], item[2] -%}
    {%- set staged = item[3] if item | length > 3 else column -%}
    select
        '{{ entity }}' as entity,
        {{ record_id(spec['key']) }} as record_id,
        '{{ column }}' as column_name,
        {{ is_event }} as is_event,
        {{ calendar_date_of(staged, column_type) }} as value_date,
        {{ date_value_text(staged, column_type) }} as value_seen
    from {{ ref(spec['model']) }}
    where {{ staged }} is not null
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

{% endfor -%}
dated as (

    {% for entity in entities -%}
    select * from {{ entity }}_dates
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

date_out_of_range as (

    select
        'date_out_of_range' as rule,
        entity,
        record_id,
        column_name,
        value_seen,
        column_name || ' ' || value_seen || ' is outside '
        || {{ format_date(plausible_dates_from(), '%Y-%m-%d') }} || ' .. '
        || {{ format_date(plausible_dates_to(), '%Y-%m-%d') }} as message
    from dated
    where not {{ is_plausible_date('value_date') }}

),

dated_after_business_date as (

    select
        'dated_after_business_date' as rule,
        entity,
        record_id,
        column_name,
        value_seen,
        column_name || ' ' || value_seen || ' is after the business date '
        || {{ format_date(as_of_date(), '%Y-%m-%d') }} as message
    from dated
    where
        is_event
        and {{ is_plausible_date('value_date') }}
        and value_date > {{ as_of_date() }} + {{ var('future_grace_days') | int }}

),

findings as (

    select * from date_out_of_range
    union all
    select * from dated_after_business_date

),

final as (

    select
        findings.rule,
        findings.entity,
        findings.record_id,
        records.owner_rep_id,
        findings.column_name,
        findings.value_seen,
        findings.message
    from findings
    left join records
        on
            findings.entity = records.entity
            and findings.record_id = records.record_id

)

select * from final
