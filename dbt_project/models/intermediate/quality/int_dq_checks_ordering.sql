{#-
  Data-quality rules of family ordering (expectations/rules.yml) computed in dbt as of
  as_of_date: stage_moved_backwards (a stage-history entry at an earlier stage of the process
  than the entry before it); rep_assignments_overlap (two rows of the hierarchy file for the
  same rep whose effective periods overlap: the earlier row's effective_to, exclusive, after
  the later row's effective_from; a row without effective_to ends at the rep's next row). Rows
  in the shape of int_dq_checks, which unions the families; record_id is the record's key as
  int_dq_records names it (macro record_id).
-#}
{#- one overlapping row as text, for the ordered string_agg of value_seen and message -#}
{%- set overlap_text = "cast(other_from as " ~ type_text() ~ ") || ' to ' || "
    ~ "coalesce(cast(other_to as " ~ type_text() ~ "), 'open')" -%}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

stage_history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

rep_assignments as (

    select * from {{ ref('stg_crm__rep_assignments') }}

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

-- one rep's pairs of rows whose periods overlap
overlapping_assignments as (

    select
        earlier.rep_id,
        earlier.effective_from as earlier_from,
        earlier.effective_to as earlier_to,
        later.effective_from as later_from,
        later.effective_to as later_to
    from rep_assignments as earlier
    inner join rep_assignments as later
        on
            earlier.rep_id = later.rep_id
            and earlier.effective_from < later.effective_from
            and earlier.effective_to > later.effective_from

),

-- each row of a pair, with the period of the other row
assignment_overlaps as (

    select
        rep_id,
        earlier_from as effective_from,
        earlier_to as effective_to,
        later_from as other_from,
        later_to as other_to
    from overlapping_assignments
    union all
    select
        rep_id,
        later_from as effective_from,
        later_to as effective_to,
        earlier_from as other_from,
        earlier_to as other_to
    from overlapping_assignments

),

rep_assignments_overlap as (

    select
        'rep_assignments_overlap' as rule,
        'rep_assignments' as entity,
        {{ record_id(['rep_id', 'effective_from']) }} as record_id,
        rep_id as owner_rep_id,
        'effective_from' as column_name,
        'overlaps '
        || {{ string_agg_ordered(overlap_text, "', '", 'other_from') }} as value_seen,
        'the row effective ' || cast(effective_from as {{ type_text() }}) || ' to '
        || coalesce(cast(effective_to as {{ type_text() }}), 'the next row')
        || ' overlaps the rep''s row(s) effective '
        || {{ string_agg_ordered(overlap_text, "', '", 'other_from') }}
        || ' (effective_to exclusive): correct the dates so the periods follow each other'
            as message
    from assignment_overlaps
    group by rep_id, effective_from, effective_to

),

final as (

    select * from stage_moved_backwards
    union all
    select * from rep_assignments_overlap

)

select * from final
