{#-
  Time in stage per period of leaving the stage: completed visits (int_opportunity_stage_visits
  with an exit) whose local exit date falls in the period, per stage and scope (the
  opportunity owner, the owner's team and region). Median and 75th percentile of the days
  between entering the stage and entering the next one.
-#}
with

levels as (

    {{ scope_levels() }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}

),

completed as (

    select * from visits
    where exited_at is not null

),

scoped as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        levels.level,
        {{ scope_id_for('levels.level', 'completed.owner_rep_id', 'completed.team', 'completed.region') }}
            as scope_id,
        completed.stage,
        completed.seconds_in_stage
    from completed
    inner join periods
        on completed.exited_date between periods.period_start and periods.period_end
    cross join levels

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        stage,
        count(*) as visits,
        -- whole seconds in, days out: reruns give identical values
        {{ seconds_as_days('median(seconds_in_stage)') }} as median_days_in_stage,
        {{ seconds_as_days(quantile_cont('seconds_in_stage', 0.75)) }} as p75_days_in_stage
    from scoped
    where scope_id is not null
    group by all

)

select * from final
