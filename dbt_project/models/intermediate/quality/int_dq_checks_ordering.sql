{#-
  Data-quality rules of family ordering (expectations/rules.yml) computed in dbt as of
  as_of_date: stage_moved_backwards (a stage-history entry at an earlier stage of the process
  than the entry before it); end_before_start (a record's end dated before its start, for the
  pairs of macro contract_date_ranges: a rep who left before being hired, an invoice due before
  it was issued). Rows in the shape of int_dq_checks, which unions the families;
  record_id is the stage-history key as int_dq_records names it (macro record_id).
-#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

stage_history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

known_opportunities as (

    select * from opportunities
    where created_date <= {{ as_of_date() }}

),

stage_entries as (

    select
        stage_history.opportunity_id,
        known_opportunities.owner_rep_id,
        stage_history.stage,
        stage_history.entered_at,
        {{ process_stage_order('stage_history.stage') }} as stage_order
    from stage_history
    inner join known_opportunities
        on stage_history.opportunity_id = known_opportunities.opportunity_id
    where stage_history.entered_date <= {{ as_of_date() }}

),

stage_moves as (

    select
        *,
        lag(stage) over entry_order as previous_stage,
        lag(stage_order) over entry_order as previous_stage_order,
        lag(entered_at) over entry_order as previous_entered_at
    from stage_entries
    -- entries at the same instant count in process order, so they never look backwards
    window entry_order as (partition by opportunity_id order by entered_at, stage_order, stage)

),

stage_moved_backwards as (

    select
        'stage_moved_backwards' as rule,
        'opportunity_stage_history' as entity,
        {{ record_id(['opportunity_id', 'stage', key_timestamp_text('entered_at')]) }} as record_id,
        owner_rep_id,
        'stage' as column_name,
        previous_stage || ' -> ' || stage as value_seen,
        'stage moved back from ' || previous_stage || ' (entered '
        || {{ key_timestamp_text('previous_entered_at') }} || ') to ' || stage || ' on '
        || {{ key_timestamp_text('entered_at') }} as message
    from stage_moves
    where stage_order < previous_stage_order

),

{%- set entities = contract_dated_columns() %}
{%- for entity, start, end in contract_date_ranges() %}
{%- set spec = entities[entity] %}

{{ entity }}_{{ end }}_before_{{ start }} as (

    select
        'end_before_start' as rule,
        '{{ entity }}' as entity,
        {{ record_id(spec['key']) }} as record_id,
        '{{ end }}' as column_name,
        '{{ start }}=' || strftime({{ start }}, '%Y-%m-%d') || ' / {{ end }}='
        || strftime({{ end }}, '%Y-%m-%d') as value_seen,
        '{{ end }} ' || strftime({{ end }}, '%Y-%m-%d') || ' is before {{ start }} '
        || strftime({{ start }}, '%Y-%m-%d') as message
    from {{ ref(spec['model']) }}
    where {{ end }} < {{ start }}

),
{%- endfor %}

records as (

    select * from {{ ref('int_dq_records') }}

),

date_ranges as (

    {% for entity, start, end in contract_date_ranges() -%}
    select * from {{ entity }}_{{ end }}_before_{{ start }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

end_before_start as (

    select
        date_ranges.rule,
        date_ranges.entity,
        date_ranges.record_id,
        records.owner_rep_id,
        date_ranges.column_name,
        date_ranges.value_seen,
        date_ranges.message
    from date_ranges
    left join records
        on
            date_ranges.entity = records.entity
            and date_ranges.record_id = records.record_id

),

final as (

    select * from stage_moved_backwards
    union all
    select * from end_before_start

)

select * from final
