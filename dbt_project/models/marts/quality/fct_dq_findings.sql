{{
    config(
        materialized=incremental_materialization(),
        unique_key='finding_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{#-
  Every data-quality finding, kept across loads: open quarantined rows (not released, not
  superseded by a later version of the same key), ingest row warnings on the record's current
  version, and the cross-entity checks of int_dq_checks. A finding present in this run gets
  last_seen_load = var load_id and is_open = true, and keeps the first_seen_load it already had;
  a finding no longer present is kept with is_open = false and its last_seen_load. Re-running
  with the same vars rewrites the same rows.
-#}
{#- Upgrade from the release that named this mart dq_findings: on the first build (no
    fct_dq_findings yet) the history is read from the table marts.dq_findings, before the
    compatibility view dq_findings (built after this model, it refs it) replaces that table. -#}
{%- set legacy_findings = none -%}
{%- if execute and this is not none and not is_incremental() -%}
    {%- set legacy = adapter.get_relation(database=this.database, schema=this.schema, identifier='dq_findings') -%}
    {%- if legacy is not none and legacy.type == 'table' -%}
        {%- set legacy_findings = legacy -%}
    {%- endif -%}
{%- endif -%}
with

quarantine as (

    select * from {{ ref('stg_meta__quarantine') }}

),

row_findings as (

    select * from {{ ref('stg_meta__row_findings') }}

),

dq_checks as (

    select * from {{ ref('int_dq_checks') }}

),

records as (

    select * from {{ ref('int_dq_records') }}

),

open_quarantine as (

    select
        quarantine.*,
        coalesce(
            quarantine.record_id,
            quarantine.source_file || ':' || cast(quarantine.source_row as {{ type_text() }})
        ) as finding_record_id,
        case quarantine.entity
            when 'sales_reps' then {{ json_text('quarantine.row_data', '$.rep_name') }}
            when 'accounts' then {{ json_text('quarantine.row_data', '$.account_name') }}
            when 'products' then {{ json_text('quarantine.row_data', '$.product_name') }}
            when 'leads' then {{ json_text('quarantine.row_data', '$.company_name') }}
            when 'opportunities' then {{ json_text('quarantine.row_data', '$.name') }}
        end as row_label
    from quarantine
    left join records
        on
            quarantine.entity = records.entity
            and quarantine.record_id = records.record_id
    where
        quarantine.released_load_id is null
        and quarantine.resolved_load_id is null
        and (records.load_id is null or records.load_id <= quarantine.load_id)

),

quarantine_findings as (

    select
        {{ finding_id('rule', 'entity', 'finding_record_id', 'column_name') }} as finding_id,
        rule,
        'quarantine' as severity,
        entity,
        finding_record_id as record_id,
        row_label as record_name,
        owner_rep_id,
        column_name,
        value_seen,
        reason as message,
        min(load_id) over (
            partition by {{ finding_id('rule', 'entity', 'finding_record_id', 'column_name') }}
        ) as first_seen_candidate,
        1 as source_priority
    from open_quarantine
    qualify row_number() over (
        partition by {{ finding_id('rule', 'entity', 'finding_record_id', 'column_name') }}
        order by load_id desc, source_row desc
    ) = 1

),

current_row_findings as (

    select row_findings.*
    from row_findings
    left join records
        on
            row_findings.entity = records.entity
            and row_findings.record_id = records.record_id
    where records.load_id is null or row_findings.load_id >= records.load_id

),

row_warning_findings as (

    select
        {{ finding_id('rule', 'entity', 'record_id', 'column_name') }} as finding_id,
        rule,
        'warn' as severity,
        entity,
        record_id,
        cast(null as {{ type_text() }}) as record_name,
        owner_rep_id,
        column_name,
        value_seen,
        message,
        min(load_id) over (
            partition by {{ finding_id('rule', 'entity', 'record_id', 'column_name') }}
        ) as first_seen_candidate,
        2 as source_priority
    from current_row_findings
    qualify row_number() over (
        partition by {{ finding_id('rule', 'entity', 'record_id', 'column_name') }}
        order by load_id desc, source_row desc
    ) = 1

),

check_findings as (

    select
        {{ finding_id('rule', 'entity', 'record_id', 'column_name') }} as finding_id,
        rule,
        'warn' as severity,
        entity,
        record_id,
        cast(null as {{ type_text() }}) as record_name,
        owner_rep_id,
        column_name,
        value_seen,
        message,
        {{ load_id() }} as first_seen_candidate,
        3 as source_priority
    from dq_checks

),

all_findings as (

    select * from quarantine_findings
    union all
    select * from row_warning_findings
    union all
    select * from check_findings

),

current_findings as (

    select
        all_findings.finding_id,
        all_findings.rule,
        all_findings.severity,
        all_findings.entity,
        all_findings.record_id,
        coalesce(records.record_name, all_findings.record_name) as record_name,
        coalesce(all_findings.owner_rep_id, records.owner_rep_id) as owner_rep_id,
        all_findings.column_name,
        all_findings.value_seen,
        all_findings.message,
        all_findings.first_seen_candidate
    from all_findings
    left join records
        on
            all_findings.entity = records.entity
            and all_findings.record_id = records.record_id
    qualify row_number() over (
        partition by all_findings.finding_id
        order by all_findings.source_priority
    ) = 1

),

previous as (

    {%- set previous_findings = this if is_incremental() else legacy_findings -%}
    {%- if previous_findings is not none -%}
    select
        finding_id,
        rule,
        severity,
        entity,
        record_id,
        record_name,
        owner_rep_id,
        column_name,
        value_seen,
        message,
        first_seen_load,
        last_seen_load,
        is_open,
        resolved_load
    from {{ previous_findings }}
    {%- else -%}
    select
        cast(null as {{ type_text() }}) as finding_id,
        cast(null as {{ type_text() }}) as rule,
        cast(null as {{ type_text() }}) as severity,
        cast(null as {{ type_text() }}) as entity,
        cast(null as {{ type_text() }}) as record_id,
        cast(null as {{ type_text() }}) as record_name,
        cast(null as {{ type_text() }}) as owner_rep_id,
        cast(null as {{ type_text() }}) as column_name,
        cast(null as {{ type_text() }}) as value_seen,
        cast(null as {{ type_text() }}) as message,
        cast(null as bigint) as first_seen_load,
        cast(null as bigint) as last_seen_load,
        cast(null as boolean) as is_open,
        cast(null as bigint) as resolved_load
    where false
    {%- endif %}

),

present as (

    select
        current_findings.finding_id,
        current_findings.rule,
        current_findings.severity,
        current_findings.entity,
        current_findings.record_id,
        current_findings.record_name,
        current_findings.owner_rep_id,
        current_findings.column_name,
        current_findings.value_seen,
        current_findings.message,
        coalesce(previous.first_seen_load, current_findings.first_seen_candidate) as first_seen_load,
        {{ load_id() }} as last_seen_load,
        true as is_open,
        cast(null as bigint) as resolved_load
    from current_findings
    left join previous
        on current_findings.finding_id = previous.finding_id

),

gone as (

    select
        previous.finding_id,
        previous.rule,
        previous.severity,
        previous.entity,
        previous.record_id,
        previous.record_name,
        previous.owner_rep_id,
        previous.column_name,
        previous.value_seen,
        previous.message,
        previous.first_seen_load,
        previous.last_seen_load,
        false as is_open,
        -- the load of the first build without it: the night the entry was fixed
        case when previous.is_open then {{ load_id() }} else previous.resolved_load end
            as resolved_load
    from previous
    left join current_findings
        on previous.finding_id = current_findings.finding_id
    where current_findings.finding_id is null

),

final as (

    select * from present
    union all
    select * from gone

)

select * from final
