{#-
  Open and weighted pipeline by expected-close period, with coverage of the revenue still to
  book. Open = current stage not won/lost, created on or before as_of_date; team and region
  are the owner's on as_of_date (int_opportunities_enriched). Amounts and
  weights come from int_opportunities_enriched (creation-date rate; var stage_probabilities).
  Target from int_revenue_targets and revenue booked from int_sales_performance (not
  redefined). A row exists where there is open pipeline, or a revenue target for a period that
  has not ended before as_of_date.
-#}
with

levels as (

    {{ scope_levels() }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

revenue_targets as (

    select * from {{ ref('int_revenue_targets') }}

),

performance as (

    select * from {{ ref('int_sales_performance') }}

),

open_opportunities as (

    select
        owner_rep_id,
        team,
        region,
        -- an implausible expected close date (9999-12-31) counts as none: no period of its own
        {{ plausible_date('expected_close_date') }} as expected_close_date,
        amount_reporting,
        weighted_amount_reporting
    from opportunities
    where
        is_open
        and created_date <= {{ as_of_date() }}

),

by_period as (

    {% for period_type in ['month', 'quarter', 'year'] -%}
    select
        '{{ period_type }}' as period_type,
        {{ period_label('expected_close_date', period_type) }} as period,
        *
    from open_opportunities
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

pipeline as (

    select
        by_period.period_type,
        by_period.period,
        levels.level,
        {{ scope_id_for('levels.level', 'by_period.owner_rep_id', 'by_period.team', 'by_period.region') }}
            as scope_id,
        count(*) as open_opportunities,
        sum(by_period.amount_reporting) as open_pipeline,
        sum(by_period.weighted_amount_reporting) as weighted_pipeline
    from by_period
    cross join levels
    group by all

),

targets as (

    select
        period_type,
        period,
        level,
        scope_id,
        revenue_target
    from revenue_targets

),

scopes as (

    select
        period_type,
        period,
        level,
        scope_id
    from pipeline
    where scope_id is not null

    union

    select
        period_type,
        period,
        level,
        scope_id
    from targets

),

bounded as (

    select
        *,
        {{ period_start_of_typed_label('period', 'period_type') }} as period_start
    from scopes

),

dated as (

    select
        *,
        {{ period_end_of_typed_start('period_start', 'period_type') }} as period_end
    from bounded

),

combined as (

    select
        scopes.period_type,
        scopes.period,
        scopes.period_start,
        scopes.period_end,
        scopes.level,
        scopes.scope_id,
        coalesce(pipeline.open_opportunities, 0) as open_opportunities,
        cast(coalesce(pipeline.open_pipeline, 0) as decimal(38, 2)) as open_pipeline,
        cast(coalesce(pipeline.weighted_pipeline, 0) as decimal(38, 2)) as weighted_pipeline,
        targets.revenue_target,
        coalesce(performance.revenue, cast(0 as decimal(38, 2))) as revenue_booked
    from dated as scopes
    left join pipeline
        on
            scopes.period_type = pipeline.period_type
            and scopes.period = pipeline.period
            and scopes.level = pipeline.level
            and scopes.scope_id = pipeline.scope_id
    left join targets
        on
            scopes.period_type = targets.period_type
            and scopes.period = targets.period
            and scopes.level = targets.level
            and scopes.scope_id = targets.scope_id
    left join performance
        on
            scopes.period_type = performance.period_type
            and scopes.period = performance.period
            and scopes.level = performance.level
            and scopes.scope_id = performance.scope_id
    where
        pipeline.open_opportunities is not null
        or scopes.period_end >= {{ as_of_date() }}

),

final as (

    select
        *,
        cast(revenue_target - revenue_booked as decimal(38, 2)) as remaining_target,
        case
            when revenue_target - revenue_booked > 0
                then cast(open_pipeline as double) / cast(revenue_target - revenue_booked as double)
        end as pipeline_coverage
    from combined

)

select * from final
