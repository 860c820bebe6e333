{#-
  Data-quality rules of family ordering (expectations/rules.yml) computed in dbt as of
  as_of_date: stage_moved_backwards (a stage-history entry at an earlier stage of the process
  than the entry before it). Rows in the shape of int_dq_checks, which unions the families;
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

final as (

    select * from stage_moved_backwards

)

select * from final
