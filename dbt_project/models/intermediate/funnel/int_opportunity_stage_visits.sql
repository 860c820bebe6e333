{#-
  One row per stage visit: each stage-history entry (local entered date <= as_of_date) of an
  opportunity, ended by the opportunity's next entry (exited_at = its entered_at). Entries at
  the same instant are ordered by their position in the sales process, as the
  stage_moved_backwards check orders them. Owner, team and region are the opportunity's.
-#}
with

stage_history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

entries as (

    select
        stage_history.opportunity_id,
        stage_history.stage,
        stage_history.entered_at,
        stage_history.entered_date,
        {{ process_stage_order('stage_history.stage') }} as stage_order,
        opportunities.owner_rep_id,
        opportunities.team,
        opportunities.region
    from stage_history
    inner join opportunities
        on stage_history.opportunity_id = opportunities.opportunity_id
    where stage_history.entered_date <= {{ as_of_date() }}

),

sequenced as (

    select
        *,
        row_number() over visit_order as visit_number,
        lead(stage) over visit_order as next_stage,
        lead(entered_at) over visit_order as exited_at,
        lead(entered_date) over visit_order as exited_date
    from entries
    window visit_order as (partition by opportunity_id order by entered_at, stage_order, stage)

),

final as (

    select
        opportunity_id,
        cast(visit_number as bigint) as visit_number,
        stage,
        entered_at,
        entered_date,
        exited_at,
        exited_date,
        next_stage,
        date_diff('second', entered_at, exited_at) as seconds_in_stage,
        date_diff('second', entered_at, exited_at) / 86400.0 as days_in_stage,
        exited_at is null as is_last_visit,
        owner_rep_id,
        team,
        region
    from sequenced

)

select * from final
