{{
    config(
        materialized=incremental_materialization(),
        unique_key='activity_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        tags=['incremental_fact'],
        pre_hook="{{ incremental_fact_history_reset() }}",
        post_hook="{{ incremental_fact_drop_tombstones() }}"
    )
}}

{#- Incremental (macros/incremental.sql, incremental_record_ctes): an activity is recomputed
    when it has a new raw version; a deletion marker deletes its row. -#}
{#- The raw-versions models the incremental path reads (macros/incremental.sql), named here
    unconditionally so that dbt records the dependency; those of records and their parents
    (macros/deleted_parents.sql) likewise. -#}
{%- set registry = {'references': parent_references(), 'entities': parent_entities()} -%}
{%- do depends_on_parent_models('activities', registry) -%}
{%- set activity_versions = ref('stg_crm__activity_raw_versions') -%}
with

{% if incremental_fact_active() -%}
{{ incremental_record_ctes(activity_versions, 'activity_id', 'activity_id', entity='activities') }}
{%- endif %}

activities as (

    {% if incremental_fact_active() -%}
    select * from live_versions
    {%- else -%}
    select * from {{ ref('stg_crm__activities') }}
    {%- endif %}

),

final as (

    select
        activity_id,
        rep_id,
        account_id,
        opportunity_id,
        type,
        occurred_at,
        occurred_date,
        load_id,
        {{ fact_load_stamp() }} as processed_load_id
    from activities
    {%- if incremental_fact_active() %}
    union all by name
    {{ incremental_key_tombstones('activity_id') }}
    {%- endif %}

)

select * from final
