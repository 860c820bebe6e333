{#-
  Sales velocity and touches before close per (period_type, period, level, scope_id) of
  int_sales_performance (the rows of fct_sales_performance), whose win rate, average deal size
  and average sales cycle it reuses (not redefined here). Open opportunities are counted at the
  period's last day (or as_of_date for the current period) from the current records: created on
  or before that day and not closed by it. Team and region as int_opportunities_enriched
  resolves them (close date, or as_of_date while open); touches per won opportunity in the
  periods and scopes of its opportunity_won event (int_sales_event_scopes).
-#}
with

levels as (

    {{ scope_levels() }}

),

performance as (

    select * from {{ ref('int_sales_performance') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

activities as (

    select * from {{ ref('int_activities') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

won_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type = 'opportunity_won'

),

counted_on as (

    select
        period_type,
        period,
        least(period_end, {{ as_of_date() }}) as count_date
    from periods

),

open_at_period_end as (

    select
        counted_on.period_type,
        counted_on.period,
        levels.level,
        {{ scope_id_for('levels.level', 'opportunities.owner_rep_id', 'opportunities.team', 'opportunities.region') }}
            as scope_id,
        count(*) as open_opportunities
    from opportunities
    inner join counted_on
        on
            opportunities.created_date <= counted_on.count_date
            and (opportunities.close_date is null or opportunities.close_date > counted_on.count_date)
    cross join levels
    group by all

),

touches as (

    select
        opportunities.opportunity_id,
        count(activities.activity_id) as touches
    from opportunities
    left join activities
        on
            opportunities.opportunity_id = activities.opportunity_id
            and opportunities.close_at >= activities.occurred_at
    where
        opportunities.is_won
        and opportunities.close_date <= {{ as_of_date() }}
    group by opportunities.opportunity_id

),

touches_by_scope as (

    select
        won_scopes.period_type,
        won_scopes.period,
        won_scopes.level,
        won_scopes.scope_id,
        median(touches.touches) as touches_before_close
    from won_scopes
    inner join touches
        on won_scopes.event_id = touches.opportunity_id
    group by all

),

final as (

    select
        performance.period_type,
        performance.period,
        performance.period_start,
        performance.period_end,
        performance.level,
        performance.scope_id,
        coalesce(open_at_period_end.open_opportunities, 0) as open_opportunities,
        performance.won,
        performance.lost,
        performance.win_rate,
        performance.avg_deal_size,
        performance.avg_sales_cycle_days,
        {{ divide_decimal(
            'cast(coalesce(open_at_period_end.open_opportunities, 0) as decimal(38, 0))'
            ~ ' * performance.won * performance.avg_deal_size',
            '(performance.won + performance.lost)'
            ~ ' * cast(performance.avg_sales_cycle_days as decimal(38, 12))',
            2
        ) }} as sales_velocity,
        cast(touches_by_scope.touches_before_close as double) as touches_before_close
    from performance
    left join open_at_period_end
        on
            performance.period_type = open_at_period_end.period_type
            and performance.period = open_at_period_end.period
            and performance.level = open_at_period_end.level
            and performance.scope_id = open_at_period_end.scope_id
    left join touches_by_scope
        on
            performance.period_type = touches_by_scope.period_type
            and performance.period = touches_by_scope.period
            and performance.level = touches_by_scope.level
            and performance.scope_id = touches_by_scope.scope_id

)

select * from final
