{#-
  The current version of every record in a raw table: the latest version per contract key
  (highest _load_id, then _source_row), dropped when that latest version is a deletion marker
  (a full export no longer carried the record).

  A record of an entity with parents (macros/deleted_parents.sql, parent_references; the
  entity is the raw table's name) whose parent is gone (deleted by a full export, or gone with
  its own parent) is dropped too: it leaves the current records with its parent (finding
  parent_deleted).

  With var history_as_of_date ('YYYY-MM-DD'), only loads whose business date is on or before it
  count: the marts rebuild as the warehouse stood on that date.
-#}
{% macro current_versions(relation, key_columns) -%}
    {%- set entity = relation.identifier if relation.identifier is defined else none -%}
    select {{ star_except('_version_rank') }}
    from ({{ latest_versions(relation, key_columns) }}) as versions
    where
        not coalesce(_deleted, false)
        {%- if entity in parent_references() %}
        {{ parents_live_condition(entity) }}
        {%- endif %}
{%- endmacro %}

{#- The latest version of every record in a raw table, deletion markers included (column
    _version_rank, always 1), as of var history_as_of_date when set. -#}
{% macro latest_versions(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _load_id desc, _source_row desc
            ) as _version_rank
        from {{ relation }}
        {%- if var('history_as_of_date', none) %}
            where _load_id in (
                select load_id from {{ source('meta', 'loads') }}
                where as_of_date <= {{ history_as_of_date() }}
            )
        {%- endif %}
    ) as ranked
    where _version_rank = 1
{%- endmacro %}

{#- var history_as_of_date as a SQL date literal. -#}
{% macro history_as_of_date() -%}
    {%- set value = var('history_as_of_date') | string -%}
    {%- if execute and not modules.re.match('^\d{4}-\d{2}-\d{2}$', value) -%}
        {{ exceptions.raise_compiler_error("var history_as_of_date must be 'YYYY-MM-DD', got '" ~ value ~ "'") }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}
