{#-
  Cross-entity data-quality checks computed in dbt as of as_of_date (severity warn in
  dq_findings): the union of the rule models, one per rule family of expectations/rules.yml
  (int_dq_checks_<family>). One row per (rule, entity, record_id, column_name): rule, entity,
  record_id (the record's key as int_dq_records names it, macro record_id, so dq_findings finds
  the record's name there), owner_rep_id, column_name, value_seen, message.
-#}
{%- set families = ['freshness', 'references', 'completeness', 'amounts', 'ordering', 'identity', 'values'] -%}

with

{% for family in families -%}
{{ family }}_rules as (

    select
        rule,
        entity,
        record_id,
        owner_rep_id,
        column_name,
        value_seen,
        message
    from {{ ref('int_dq_checks_' ~ family) }}

),

{% endfor -%}
final as (

    {% for family in families -%}
    select * from {{ family }}_rules
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

)

select * from final
