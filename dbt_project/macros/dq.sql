{#-
  record_id of a record as findings name it: the contract key's values joined with '|'
  (null -> ''), like the ingest's record_id (pipelines/ingest/load.py). Single-column keys are
  the id itself. Dates render 'YYYY-MM-DD' and timestamps as local time 'YYYY-MM-DD HH:MM:SS'
  (business timezone): the canonical export form. The ingest keys on the text as exported, so
  stage-history keys exported in another timestamp format will not match.
-#}
{% macro record_id(columns) -%}
    {%- if columns | length == 1 -%}
        cast({{ columns[0] }} as {{ type_text() }})
    {%- else -%}
        concat_ws('|'
        {%- for column in columns -%}
            , coalesce(cast({{ column }} as {{ type_text() }}), '')
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
    {{ local_timestamp_text(timestamp_column, var("business_timezone")) }}
{%- endmacro %}

{#-
  Text of a name for duplicate matching: full-width digits and Latin letters made half-width,
  NFC, lower case, every run of characters that are neither letters nor digits (spaces,
  punctuation of any width, symbols) turned into one space, and a space put between Latin
  letters or digits and other scripts ('华锐科技co ltd' -> '华锐科技 co ltd'), so that a Latin
  legal-form suffix is always a separate word. Full-width punctuation and the ideographic space
  need no mapping: they are not letters or digits.
-#}
{% macro name_match_text(text) -%}
    {{- return(adapter.dispatch('name_match_text', 'salesops')(text)) -}}
{%- endmacro %}

{% macro default__name_match_text(text) -%}
    trim(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    lower(nfc_normalize(translate(
                        {{ text }},
                        '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ',
                        '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                    ))),
                    '[^\pL\pN]+', ' ', 'g'
                ),
                '([a-z0-9])([^\x00-\x7f])', '\1 \2', 'g'
            ),
            '([^\x00-\x7f])([a-z0-9])', '\1 \2', 'g'
        )
    )
{%- endmacro %}

{#-
  Regular expression (a constant SQL expression, so DuckDB compiles it once) matching the run
  of legal-form suffixes at the end of a name_match_text: each suffix of var
  legal_form_suffixes normalised with name_match_text itself, so the list may be written in any
  case, width or punctuation. A suffix whose first letter or digit is Latin must follow a space
  ('zinc' keeps its 'inc'); others (有限公司, 集团) may follow anything.
-#}
{% macro legal_form_suffix_pattern() -%}
    {{- return(adapter.dispatch('legal_form_suffix_pattern', 'salesops')()) -}}
{%- endmacro %}

{% macro default__legal_form_suffix_pattern() -%}
    {{- _legal_form_suffix_pattern('') -}}
{%- endmacro %}

{#- Spark: raw literals ('\s' would lose its backslash in a plain one). -#}
{% macro spark__legal_form_suffix_pattern() -%}
    {{- _legal_form_suffix_pattern('r') -}}
{%- endmacro %}

{#- `raw`: the prefix of the pattern's string literals. -#}
{% macro _legal_form_suffix_pattern(raw) -%}
    {%- set suffixes = var('legal_form_suffixes') -%}
    {%- if suffixes is string or suffixes is mapping or suffixes is not iterable -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error("var legal_form_suffixes must be a list of strings") }}
        {%- endif -%}
        {%- set suffixes = [] -%}
    {%- endif -%}
    {#- the leading null keeps concat_ws valid for an empty list (pattern '(?:)+$': no-op) -#}
    '(?:' || concat_ws(
        '|',
        cast(null as {{ type_text() }})
        {%- for suffix in suffixes %}
            {%- set ns = namespace(found=false, latin=false) %}
            {%- for ch in suffix | string %}
                {%- if not ns.found and ch.isalnum() %}
                    {%- set ns.found = true %}
                    {%- set ns.latin = ch.isascii() or '０' <= ch <= 'ｚ' %}
                {%- endif %}
            {%- endfor %}
        , {{ raw }}{% if ns.latin %}'\s+'{% else %}'\s*'{% endif %}
        || nullif({{ name_match_text("'" ~ (suffix | string | replace("'", "''")) ~ "'") }}, '')
        {%- endfor %}
    ) || ')+$'
{%- endmacro %}

{#- Spark: the same steps in Java regular expressions (regexp_replace replaces every match; raw
    literals keep the backslashes; $1 for a group). Spark has no Unicode normalisation: the
    text is not put in NFC, so a name exported decomposed (NFD) matches only its NFD twins
    (docs/scale-out.md). -#}
{% macro spark__name_match_text(text) -%}
    trim(
        regexp_replace(
            regexp_replace(
                regexp_replace(
                    lower(translate(
                        {{ text }},
                        '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ',
                        '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
                    )),
                    r'[^\pL\pN]+', ' '
                ),
                r'([a-z0-9])([^\x00-\x7f])', '$1 $2'
            ),
            r'([^\x00-\x7f])([a-z0-9])', '$1 $2'
        )
    )
{%- endmacro %}

{#- var order_lines_tolerance as an exact DECIMAL(38, 6) literal (a plain decimal like 0.01). -#}
{% macro order_lines_tolerance() -%}
    {%- set value = var('order_lines_tolerance') | string -%}
    {%- if execute and not modules.re.match('^[0-9]+([.][0-9]+)?$', value) -%}
        {{ exceptions.raise_compiler_error("var order_lines_tolerance must be a plain decimal like 0.01, got '" ~ value ~ "'") }}
    {%- endif -%}
    cast('{{ value }}' as decimal(38, 6))
{%- endmacro %}
