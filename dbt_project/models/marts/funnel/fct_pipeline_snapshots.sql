{{ config(materialized='view') }}
{#-
  Daily pipeline snapshots, as stored by int_pipeline_snapshots (the incremental history,
  one day added per night): published unchanged. A view, so the history is stored once.
-#}
with

snapshots as (

    select * from {{ ref('int_pipeline_snapshots') }}

),

final as (

    select
        snapshot_date,
        level,
        scope_id,
        open_opportunities,
        open_pipeline,
        weighted_pipeline,
        current_quarter,
        current_quarter_open_pipeline,
        current_quarter_weighted_pipeline,
        current_quarter_revenue_target,
        current_quarter_revenue_booked,
        next_quarter,
        next_quarter_open_pipeline,
        next_quarter_weighted_pipeline,
        next_quarter_commit_pipeline,
        next_quarter_best_case_pipeline,
        next_quarter_revenue_target,
        current_quarter_remaining_target,
        current_quarter_coverage,
        next_quarter_coverage
    from snapshots

)

select * from final
