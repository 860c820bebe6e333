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

{#- The number of `part` boundaries (second | day | month) from start to end, a BIGINT: DuckDB
    date_diff, Spark timestampdiff (equal for whole-second instants, dates, and month starts). -#}
{% macro date_diff(part, start, end) -%}
    {{- return(adapter.dispatch('date_diff', 'salesops')(part, start, end)) -}}
{%- endmacro %}

{% macro default__date_diff(part, start, end) -%}
    date_diff('{{ part }}', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__date_diff(part, start, end) -%}
    timestampdiff({{ part | upper }}, {{ start }}, {{ end }})
{%- endmacro %}

{#- A number of seconds (BIGINT) in days, a DOUBLE: DuckDB divides by the decimal literal
    86400.0 into a DOUBLE; Spark would keep a DECIMAL, so it divides the DOUBLE. -#}
{% macro seconds_as_days(seconds) -%}
    {{- return(adapter.dispatch('seconds_as_days', 'salesops')(seconds)) -}}
{%- endmacro %}

{% macro default__seconds_as_days(seconds) -%}
    {{ seconds }} / 86400.0
{%- endmacro %}

{% macro spark__seconds_as_days(seconds) -%}
    cast({{ seconds }} as double) / 86400
{%- endmacro %}

{#- One row per date from start to stop (inclusive) in steps of `step` (an interval literal),
    a DATE, the set-returning expression of a select list: DuckDB unnest(generate_series) (of
    timestamps, cast), Spark explode(sequence) of dates (a generator cannot be cast). -#}
{% macro date_series(start, stop, step) -%}
    {{- return(adapter.dispatch('date_series', 'salesops')(start, stop, step)) -}}
{%- endmacro %}

{% macro default__date_series(start, stop, step) -%}
    cast(unnest(generate_series({{ start }}, {{ stop }}, {{ step }})) as date)
{%- endmacro %}

{% macro spark__date_series(start, stop, step) -%}
    explode(sequence(cast({{ start }} as date), cast({{ stop }} as date), {{ step }}))
{%- endmacro %}

{#- One row per element of a literal list (SQL expressions), the set-returning expression of
    a select list. -#}
{% macro unnest_values(values) -%}
    {{- return(adapter.dispatch('unnest_values', 'salesops')(values)) -}}
{%- endmacro %}

{% macro default__unnest_values(values) -%}
    unnest([{{ values | join(', ') }}])
{%- endmacro %}

{% macro spark__unnest_values(values) -%}
    explode(array({{ values | join(', ') }}))
{%- endmacro %}

{#- The integers start .. stop - 1, the set-returning expression of a select list. -#}
{% macro unnest_range(start, stop) -%}
    {{- return(adapter.dispatch('unnest_range', 'salesops')(start, stop)) -}}
{%- endmacro %}

{% macro default__unnest_range(start, stop) -%}
    unnest(range({{ start }}, {{ stop }}))
{%- endmacro %}

{% macro spark__unnest_range(start, stop) -%}
    explode(sequence({{ start }}, {{ stop }} - 1))
{%- endmacro %}

{#- The text at JSON path `path` ('$.name') of a JSON value (Spark: JSON text). -#}
{% macro json_text(json_expr, path) -%}
    {{- return(adapter.dispatch('json_text', 'salesops')(json_expr, path)) -}}
{%- endmacro %}

{% macro default__json_text(json_expr, path) -%}
    json_extract_string({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(json_expr, path) -%}
    get_json_object({{ json_expr }}, '{{ path }}')
{%- endmacro %}

{#- ------------------------------------------------------------------- aggregates -#}

{#- The value of `value` on the row with the smallest `by`. -#}
{% macro arg_min(value, by) -%}
    {{- return(adapter.dispatch('arg_min', 'salesops')(value, by)) -}}
{%- endmacro %}

{% macro default__arg_min(value, by) -%}
    arg_min({{ value }}, {{ by }})
{%- endmacro %}

{% macro spark__arg_min(value, by) -%}
    min_by({{ value }}, {{ by }})
{%- endmacro %}

{#- The texts joined with `separator` (a SQL literal) in the order of `order_by`. -#}
{% macro string_agg_ordered(expr, separator, order_by) -%}
    {{- return(adapter.dispatch('string_agg_ordered', 'salesops')(expr, separator, order_by)) -}}
{%- endmacro %}

{% macro default__string_agg_ordered(expr, separator, order_by) -%}
    string_agg({{ expr }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__string_agg_ordered(expr, separator, order_by) -%}
    listagg({{ expr }}, {{ separator }}) within group (order by {{ order_by }})
{%- endmacro %}

{#- The median of a DECIMAL with `scale` places, as DuckDB computes it: the DECIMAL itself, the
    mean of the two middle values truncated down to `scale` places. Spark's median is a DOUBLE
    (exact for the half-units of the mean below about 10^9). `over`: a window clause. -#}
{% macro median_decimal(expr, scale, over='') -%}
    {{- return(adapter.dispatch('median_decimal', 'salesops')(expr, scale, over)) -}}
{%- endmacro %}

{% macro default__median_decimal(expr, scale, over='') -%}
    median({{ expr }}){% if over %} over ({{ over }}){% endif %}
{%- endmacro %}

{% macro spark__median_decimal(expr, scale, over='') -%}
    cast(
        floor(median({{ expr }}){% if over %} over ({{ over }}){% endif %} * 1{{ '0' * scale }} + 0.000001)
        / 1{{ '0' * scale }} as decimal(38, {{ scale }})
    )
{%- endmacro %}

{#- The continuous quantile `fraction` of a number (interpolated, DOUBLE). -#}
{% macro quantile_cont(expr, fraction) -%}
    {{- return(adapter.dispatch('quantile_cont', 'salesops')(expr, fraction)) -}}
{%- endmacro %}

{% macro default__quantile_cont(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro spark__quantile_cont(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}

{#- ------------------------------------------------------------------- text and dates -#}

{#- True when the whole text matches the regular expression `pattern` (a Python string, no
    quote). -#}
{% macro regex_full_match(expr, pattern) -%}
    {{- return(adapter.dispatch('regex_full_match', 'salesops')(expr, pattern)) -}}
{%- endmacro %}

{% macro default__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike r'^(?:{{ pattern }})$')
{%- endmacro %}

{#- January 1st of `year_expr` plus `months_expr` months, a DATE. -#}
{% macro year_start_plus_months(year_expr, months_expr) -%}
    {{- return(adapter.dispatch('year_start_plus_months', 'salesops')(year_expr, months_expr)) -}}
{%- endmacro %}

{% macro default__year_start_plus_months(year_expr, months_expr) -%}
    make_date({{ year_expr }}, 1, 1) + to_months({{ months_expr }})
{%- endmacro %}

{% macro spark__year_start_plus_months(year_expr, months_expr) -%}
    add_months(make_date({{ year_expr }}, 1, 1), {{ months_expr }})
{%- endmacro %}

{#- A date plus a number of months, a DATE. -#}
{% macro add_months_to_date(date_expr, months_expr) -%}
    {{- return(adapter.dispatch('add_months_to_date', 'salesops')(date_expr, months_expr)) -}}
{%- endmacro %}

{% macro default__add_months_to_date(date_expr, months_expr) -%}
    cast({{ date_expr }} + to_months({{ months_expr }}) as date)
{%- endmacro %}

{% macro spark__add_months_to_date(date_expr, months_expr) -%}
    add_months({{ date_expr }}, {{ months_expr }})
{%- endmacro %}

{#- A date plus a number of days (an integer), a DATE. -#}
{% macro add_days(date_expr, days) -%}
    {{- return(adapter.dispatch('add_days', 'salesops')(date_expr, days)) -}}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    {{ date_expr }} + to_days(cast({{ days }} as integer))
{%- endmacro %}

{% macro spark__add_days(date_expr, days) -%}
    date_add({{ date_expr }}, cast({{ days }} as integer))
{%- endmacro %}

{#- An operand of a division that DuckDB computes in DOUBLE: a DECIMAL (or a decimal literal
    such as 1.0) divided by a DECIMAL or an integer is a DOUBLE on DuckDB, a DECIMAL rounded
    to 6 places on Spark (1.0 / 3 is 0.333333; 580811.22 / 4 is exactly 145202.805, where
    DuckDB's DOUBLE rounds to 145202.80). On Spark the operand is cast to DOUBLE. -#}
{% macro division_as_double(expr) -%}
    {{- return(adapter.dispatch('division_as_double', 'salesops')(expr)) -}}
{%- endmacro %}

{% macro default__division_as_double(expr) -%}
    {{ expr }}
{%- endmacro %}

{% macro spark__division_as_double(expr) -%}
    cast({{ expr }} as double)
{%- endmacro %}

{#- A DOUBLE rounded to `places` decimals as DuckDB rounds it: its exact binary value, half
    away from zero (145202.805 is 145202.80499… in binary: 145202.8; 0.125 is exact: 0.13).
    Spark's round() of a DOUBLE rounds its shortest decimal text (145202.81), and x × 100 is
    itself rounded (14520280.5), so on Spark the exact sign of |x| × 10^places - (t + 0.5),
    t = floor(|x| × 10^places), comes from a fused multiply-add (java.lang.Math.fma): t + 1
    when it is not negative, else t; then divided back. -#}
{% macro round_double(expr, places) -%}
    {{- return(adapter.dispatch('round_double', 'salesops')(expr, places)) -}}
{%- endmacro %}

{% macro default__round_double(expr, places) -%}
    round({{ expr }}, {{ places }})
{%- endmacro %}

{% macro spark__round_double(expr, places) -%}
    {%- set scale = '1' ~ ('0' * places) ~ '.0D' -%}
    {#- java_method cannot pass a NULL as a double: NULL in, NULL out, without calling it -#}
    {%- set a = 'coalesce(abs(' ~ expr ~ '), 0D)' -%}
    {%- set t = 'floor(' ~ a ~ ' * ' ~ scale ~ ')' -%}
    {%- set residual = "cast(java_method('java.lang.Math', 'fma', " ~ a ~ ", " ~ scale ~ ", -(" ~ t ~ " + 0.5D)) as double)" -%}
    {%- set units = '(case when ' ~ residual ~ ' >= 0 then ' ~ t ~ ' + 1 else ' ~ t ~ ' end)' -%}
    (case
        when {{ expr }} is null then null
        when {{ expr }} < 0 then -{{ units }}
        else {{ units }}
    end / {{ scale }})
{%- endmacro %}
