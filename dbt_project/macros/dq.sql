{#-
  record_id of a record as findings name it: the contract key's values joined with '|'
  (null -> ''), like the ingest's record_id (pipelines/ingest/load.py). Single-column keys are
  the id itself. Dates render 'YYYY-MM-DD' and timestamps as local time 'YYYY-MM-DD HH:MM:SS'
  (business timezone): the canonical export form. The ingest keys on the text as exported, so
  stage-history keys exported in another timestamp format will not match.
-#}
{% macro record_id(columns) -%}
    {%- if columns | length == 1 -%}
        cast({{ columns[0] }} as varchar)
    {%- else -%}
        concat_ws('|'
        {%- for column in columns -%}
            , coalesce(cast({{ column }} as varchar), '')
        {%- endfor -%}
        )
    {%- endif -%}
{%- endmacro %}

{#- md5 of rule|entity|record_id|column: identifies a finding across loads. -#}
{% macro finding_id(rule, entity, record_id, column_name) -%}
    md5(
        coalesce({{ rule }}, '') || '|' || coalesce({{ entity }}, '') || '|'
        || coalesce({{ record_id }}, '') || '|' || coalesce({{ column_name }}, '')
    )
{%- endmacro %}

{#- A timestamptz rendered for record ids: local time in var business_timezone, seconds. -#}
{% macro key_timestamp_text(timestamp_column) -%}
    strftime(({{ timestamp_column }} at time zone '{{ var("business_timezone") }}'), '%Y-%m-%d %H:%M:%S')
{%- endmacro %}
