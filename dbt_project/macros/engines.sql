{#-
  What differs between the engines the project runs on: DuckDB (the embedded default, the
  default__ implementations, which render exactly the SQL the project always ran on DuckDB)
  and Apache Spark through dbt-spark (spark__; docs/scale-out.md). Models and macros call
  these instead of writing engine-specific SQL; dbt's cross-database macros (dbt.dateadd,
  dbt.safe_cast ...) where they render the same SQL on DuckDB.
-#}

{#- ---------------------------------------------------------------- the lake on Spark -#}

{#- on-run-start: register the raw and meta sources over the lake's Parquet folders (Spark);
    nothing on DuckDB, whose sources are the warehouse's own tables. -#}
{% macro register_lake_sources() -%}
    {{- return(adapter.dispatch('register_lake_sources', 'salesops')()) -}}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
    select 1
{%- endmacro %}

{#- The lake location: var lake_dir, else SALESOPS_LAKE_DIR (pipelines/warehouse/lake.py). -#}
{% macro lake_dir() -%}
    {{- return(var('lake_dir', env_var('SALESOPS_LAKE_DIR', '')) | string) -}}
{%- endmacro %}

{#- Every source of schema raw or meta becomes a view over <lake>/<schema>/<table> (one
    Hive-style folder per load, load_id=<N>), replaced on every run so it sees the loads synced
    since: a raw table without the partition column (raw rows carry their own _load_id), a meta
    table as written (its load_id is the partition's). ANSI mode on for the session (dbt-spark
    turns it off on connect): an overflow or a bad cast fails the model, as on DuckDB. -#}
{% macro spark__register_lake_sources() -%}
    {%- set lake = lake_dir() | trim -%}
    {%- if execute -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error("the Spark target reads the raw data from the lake: set SALESOPS_LAKE_DIR or var lake_dir (docs/scale-out.md)") }}
        {%- endif -%}
        {%- set lake = lake.rstrip('/') -%}
        {%- do run_query('set spark.sql.ansi.enabled = true') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if source.schema in ['raw', 'meta'] -%}
                {%- if source.schema not in schemas -%}
                    {%- do schemas.append(source.schema) -%}
                    {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- endif -%}
                {%- set path = lake ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
                {%- set columns = '* except (load_id)' if source.schema == 'raw' else '*' -%}
                {%- do run_query(
                    'create or replace view ' ~ source.schema ~ '.' ~ source.identifier
                    ~ ' as select ' ~ columns ~ ' from parquet.`' ~ path ~ '`'
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- ---------------------------------------------------------------------------- types -#}

{#- An instant (UTC) type: DuckDB TIMESTAMPTZ; Spark TIMESTAMP (local-time-zone semantics, the
    session zone UTC). -#}
{% macro type_timestamptz() -%}
    {{- return(adapter.dispatch('type_timestamptz', 'salesops')()) -}}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
    timestamptz
{%- endmacro %}

{% macro spark__type_timestamptz() -%}
    timestamp
{%- endmacro %}

{#- Text: DuckDB VARCHAR; Spark STRING (its VARCHAR needs a length). -#}
{% macro type_text() -%}
    {{- return(adapter.dispatch('type_text', 'salesops')()) -}}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}

{#- JSON: DuckDB JSON; Spark has none: the JSON text as STRING. -#}
{% macro type_json() -%}
    {{- return(adapter.dispatch('type_json', 'salesops')()) -}}
{%- endmacro %}

{% macro default__type_json() -%}
    json
{%- endmacro %}

{% macro spark__type_json() -%}
    string
{%- endmacro %}

{#- --------------------------------------------------------------------------- select -#}

{#- Every column but `columns` (a name or a list): DuckDB `* exclude (...)`, Spark
    `* except (...)`. `relation`: qualify the star (alias.*). -#}
{% macro star_except(columns, relation=none) -%}
    {{- return(adapter.dispatch('star_except', 'salesops')(columns, relation)) -}}
{%- endmacro %}

{% macro default__star_except(columns, relation=none) -%}
    {%- set columns = [columns] if columns is string else columns -%}
    {% if relation %}{{ relation }}.{% endif %}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns, relation=none) -%}
    {%- set columns = [columns] if columns is string else columns -%}
    {% if relation %}{{ relation }}.{% endif %}* except ({{ columns | join(', ') }})
{%- endmacro %}

{#- ------------------------------------------------------------------ dates and times -#}

{#- Local calendar date of an instant in time zone `zone` (a checked IANA name). -#}
{% macro date_in_zone(timestamp_column, zone) -%}
    {{- return(adapter.dispatch('date_in_zone', 'salesops')(timestamp_column, zone)) -}}
{%- endmacro %}

{% macro default__date_in_zone(timestamp_column, zone) -%}
    cast(({{ timestamp_column }} at time zone '{{ zone }}') as date)
{%- endmacro %}

{% macro spark__date_in_zone(timestamp_column, zone) -%}
    to_date(from_utc_timestamp({{ timestamp_column }}, '{{ zone }}'))
{%- endmacro %}

{#- An instant as local time text 'YYYY-MM-DD HH:MM:SS' in time zone `zone`. -#}
{% macro local_timestamp_text(timestamp_column, zone) -%}
    {{- return(adapter.dispatch('local_timestamp_text', 'salesops')(timestamp_column, zone)) -}}
{%- endmacro %}

{% macro default__local_timestamp_text(timestamp_column, zone) -%}
    strftime(({{ timestamp_column }} at time zone '{{ zone }}'), '%Y-%m-%d %H:%M:%S')
{%- endmacro %}

{% macro spark__local_timestamp_text(timestamp_column, zone) -%}
    date_format(from_utc_timestamp({{ timestamp_column }}, '{{ zone }}'), 'yyyy-MM-dd HH:mm:ss')
{%- endmacro %}

{#- A date as text in a strftime format (only %Y, %m, %d): DuckDB strftime, Spark date_format. -#}
{% macro format_date(date_expr, format) -%}
    {{- return(adapter.dispatch('format_date', 'salesops')(date_expr, format)) -}}
{%- endmacro %}

{% macro default__format_date(date_expr, format) -%}
    strftime({{ date_expr }}, '{{ format }}')
{%- endmacro %}

{% macro spark__format_date(date_expr, format) -%}
    date_format({{ date_expr }}, '{{ format | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd') }}')
{%- endmacro %}
