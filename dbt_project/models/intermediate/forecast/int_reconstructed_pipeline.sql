{#-
  The open pipeline of each forecast quarter as it stood at the end of its origin_date (the
  day before the quarter began), reconstructed from the recorded stage history where no load
  snapshot exists (days before the first load): the pipeline forecast's second basis.
  - Reconstructed for a quarter when the stage history has begun by then: at least one
    stage-history entry is dated (local date) on or before origin_date.
  - An opportunity counts when it was created on or before origin_date and the stage it held
    that day (int_opportunity_stage_visits: the visit entered on or before origin_date and not
    exited by then) is open (neither won nor lost).
  - Amount and expected close date are the opportunity's current ones (the stage history
    records stages only): the deal counts when its expected close date falls inside the
    quarter, its amount converted at the rate of its creation date (as the snapshots convert),
    weighted by the probability of the stage it held (var stage_probabilities).
  - The owner's team and region as they were on origin_date (int_sales_rep_history).
  - opportunities_without_stage: opportunities created on or before origin_date without any
    stage-history entry by then (their stage that day is unknown; not counted in the
    pipeline, counted here).
  Grain: one row per (forecast_quarter, level, scope_id): the company row for every
  reconstructable quarter (zeros when nothing was open), other scopes holding open pipeline
  or an opportunity without stage that day.
-#}
with

quarters as (

    select
        forecast_quarter,
        quarter_start,
        quarter_end,
        origin_date
    from {{ ref('int_forecast_periods') }}
    where period_type = 'quarter'

),

visits as (

    select * from {{ ref('int_opportunity_stage_visits') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

levels as (

    {{ scope_levels() }}

),

reconstructable as (

    select quarters.*
    from quarters
    where exists (
        select 1 from visits
        where visits.entered_date <= quarters.origin_date
    )

),

known_then as (

    select
        reconstructable.forecast_quarter,
        reconstructable.quarter_start,
        reconstructable.quarter_end,
        reconstructable.origin_date,
        opportunities.opportunity_id,
        opportunities.owner_rep_id,
        opportunities.currency,
        opportunities.amount,
        opportunities.created_date,
        opportunities.expected_close_date,
        visits.stage as stage_then
    from reconstructable
    inner join opportunities
        on reconstructable.origin_date >= opportunities.created_date
    left join visits
        on
            opportunities.opportunity_id = visits.opportunity_id
            and reconstructable.origin_date >= visits.entered_date
            and (visits.exited_date is null or reconstructable.origin_date < visits.exited_date)

),

attributed as (

    select
        known_then.forecast_quarter,
        known_then.owner_rep_id as rep_id,
        rep_history.team,
        rep_history.region,
        known_then.stage_then,
        known_then.stage_then not in ('won', 'lost')
        and known_then.expected_close_date between known_then.quarter_start and known_then.quarter_end
            as is_open_in_quarter,
        {{ weighted_amount(to_reporting('known_then.amount', 'fx.rate_to_reporting'), 'known_then.stage_then') }}
            as weighted_amount
    from known_then
    left join rep_history
        on {{ rep_history_at('rep_history', 'known_then.owner_rep_id', 'known_then.origin_date') }}
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'known_then.currency', 'known_then.created_date') }}

),

pipeline as (

    select
        attributed.forecast_quarter,
        levels.level,
        {{ scope_id_for('levels.level', 'attributed.rep_id', 'attributed.team', 'attributed.region') }}
            as scope_id,
        count(*) filter (where attributed.is_open_in_quarter) as open_opportunities,
        sum(attributed.weighted_amount) filter (where attributed.is_open_in_quarter) as weighted_pipeline,
        count(*) filter (where attributed.stage_then is null) as opportunities_without_stage
    from attributed
    cross join levels
    group by all
    having
        count(*) filter (where attributed.is_open_in_quarter) > 0
        or count(*) filter (where attributed.stage_then is null) > 0

),

scopes as (

    select
        forecast_quarter,
        'company' as level,
        'all' as scope_id
    from reconstructable

    union

    select
        forecast_quarter,
        level,
        scope_id
    from pipeline
    where scope_id is not null

),

final as (

    select
        scopes.forecast_quarter,
        reconstructable.origin_date,
        scopes.level,
        scopes.scope_id,
        cast(coalesce(pipeline.open_opportunities, 0) as bigint) as open_opportunities,
        cast(coalesce(pipeline.weighted_pipeline, 0) as decimal(38, 2)) as weighted_pipeline,
        cast(coalesce(pipeline.opportunities_without_stage, 0) as bigint) as opportunities_without_stage
    from scopes
    inner join reconstructable
        on scopes.forecast_quarter = reconstructable.forecast_quarter
    left join pipeline
        on
            scopes.forecast_quarter = pipeline.forecast_quarter
            and scopes.level = pipeline.level
            and scopes.scope_id = pipeline.scope_id

)

select * from final
