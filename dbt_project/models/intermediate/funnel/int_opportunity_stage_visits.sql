{#-
  One row per stage visit: a run of consecutive stage-history entries (local entered date <=
  as_of_date) of an opportunity in the same stage, entered at the run's first entry and ended
  by the next entry of another stage (exited_at = its entered_at). A CRM writes a history row
  for every edit of the amount or close date too (Salesforce OpportunityHistory): those rows
  repeat the stage and continue the visit; only a change of stage starts a new one (a return
  to an earlier stage is a new visit). Entries at the same instant are ordered by their
  position in the sales process, as the stage_moved_backwards check orders them. Owner, team
  and region are the opportunity's.
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

visit_starts as (

    -- an entry starts a visit when the entry before it (if any) is of another stage
    select *
    from entries
    qualify
        lag(stage) over (partition by opportunity_id order by entered_at, stage_order, stage)
        is distinct from stage

),

sequenced as (

    select
        *,
        row_number() over visit_order as visit_number,
        lead(stage) over visit_order as next_stage,
        lead(entered_at) over visit_order as exited_at,
        lead(entered_date) over visit_order as exited_date
    from visit_starts
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
        {{ date_diff('second', 'entered_at', 'exited_at') }} as seconds_in_stage,
        {{ seconds_as_days(date_diff('second', 'entered_at', 'exited_at')) }} as days_in_stage,
        exited_at is null as is_last_visit,
        owner_rep_id,
        team,
        region
    from sequenced

)

select * from final
