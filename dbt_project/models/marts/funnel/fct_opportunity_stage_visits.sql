{#-
  Published from int_opportunity_stage_visits, which computes it: fct_time_in_stage reads the same
  rows there (a mart reads staging and intermediate models only).
-#}
with

opportunity_stage_visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}

),

final as (

    select
        opportunity_id,
        visit_number,
        stage,
        entered_at,
        entered_date,
        exited_at,
        exited_date,
        next_stage,
        seconds_in_stage,
        days_in_stage,
        is_last_visit,
        owner_rep_id,
        team,
        region
    from opportunity_stage_visits

)

select * from final
