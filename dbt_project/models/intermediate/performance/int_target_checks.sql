{#-
  Every target of every level, metric and product line (int_targets), with the actual and
  attainment where the metric has one (periods of the spine; for a product line only revenue
  and units, from int_product_line_performance), the two add-up checks and the
  reasonableness flag against the trailing trend (quarters). Published by fct_targets; the
  data-quality rules target_not_adding_up and target_unreasonable read it
  (int_dq_checks_amounts).

  Add-up along the hierarchy: the hierarchy of the period's first day (int_sales_rep_history):
  a team's target is compared with the sum of the targets of the reps in that team on that
  day, a region's with the sum of the targets of the teams whose reps were in that region, the
  company's with the sum of the region targets. Same period, metric and product line; exact
  decimals; every period type (month, quarter, year).

  Add-up along the periods: a quarter's target is compared with the sum of the month targets
  inside it, a year's with the sum of its quarter targets (explicit, else rolled up from
  months: int_targets); same level, scope, metric and product line; exact decimals.

  Reasonableness (quarter targets, per product line too): trend_value = the run rate of the
  trailing four quarters, (A1 + A2 + A3 + A4) / 4 (A1 = actual of the quarter before, which
  must be complete, A4 = of the quarter four before, which must lie in the spine; each must be
  positive): one quarter's lumpy deals do not swing it, as they swung the compound growth
  A1 × (A1 / A4) ^ (1/3) (kept as trend_quarterly_growth, for reading). Judged only when the
  trend reaches the metric's minimum size (var target_reasonableness_min_trend: a handful of
  new customers or visits is too small to judge); flagged outside
  [trend / (1 + band), trend × (1 + band)] (var target_reasonableness_band, default 1.0: above
  double or below half the run rate).
-#}
with

targets as (

    select * from {{ ref('int_targets') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

performance as (

    select * from {{ ref('int_sales_performance') }}

),

product_line_performance as (

    select * from {{ ref('int_product_line_performance') }}

),

dated_targets as (

    select
        *,
        {{ period_start_from_label('period') }} as period_start
    from targets

),

actuals as (

    -- one row per (period_type, period, level, scope_id, metric, product_line)
    {%- for metric in result_target_metrics() + process_target_metrics() %}
    select
        period_type,
        period,
        level,
        scope_id,
        '{{ metric }}' as metric,
        cast(null as {{ type_text() }}) as product_line,
        cast({{ target_metric_column(metric) }} as decimal(38, 6)) as actual
    from performance

    union all
    {% endfor %}
    {%- for metric in ['revenue', 'units'] %}
    select
        period_type,
        period,
        level,
        scope_id,
        '{{ metric }}' as metric,
        product_line,
        cast({{ metric }} as decimal(38, 6)) as actual
    from product_line_performance
    {{- '\n\n    union all' if not loop.last }}
    {% endfor %}

),

hierarchy_at_start as (

    select distinct
        dated_targets.period_start,
        rep_history.rep_id,
        rep_history.team,
        rep_history.region
    from (select distinct period_start from dated_targets) as dated_targets
    inner join rep_history
        on
            dated_targets.period_start >= rep_history.valid_from
            and dated_targets.period_start < rep_history.valid_to

),

parent_child as (

    -- (parent level, parent scope, child scope) pairs valid on each period start
    select distinct
        period_start,
        'team' as level,
        team as scope_id,
        'rep' as child_level,
        rep_id as child_scope_id
    from hierarchy_at_start
    where team is not null

    union all

    select distinct
        period_start,
        'region' as level,
        region as scope_id,
        'team' as child_level,
        team as child_scope_id
    from hierarchy_at_start
    where region is not null and team is not null

    union all

    select distinct
        period_start,
        'company' as level,
        'all' as scope_id,
        'region' as child_level,
        region as child_scope_id
    from hierarchy_at_start
    where region is not null

),

child_sums as (

    select
        parents.period_type,
        parents.period,
        parents.level,
        parents.scope_id,
        parents.metric,
        parents.product_line,
        count(children.target_value) as child_targets,
        sum(children.target_value) as child_target_sum
    from dated_targets as parents
    inner join parent_child
        on
            parents.period_start = parent_child.period_start
            and parents.level = parent_child.level
            and parents.scope_id = parent_child.scope_id
    inner join dated_targets as children
        on
            parents.period_type = children.period_type
            and parents.period = children.period
            and parents.metric = children.metric
            and parents.product_line is not distinct from children.product_line
            and parent_child.child_level = children.level
            and parent_child.child_scope_id = children.scope_id
    group by
        parents.period_type,
        parents.period,
        parents.level,
        parents.scope_id,
        parents.metric,
        parents.product_line

),

period_child_sums as (

    -- a quarter's month targets, a year's quarter targets (same scope, metric, product line)
    select
        parents.period_type,
        parents.period,
        parents.level,
        parents.scope_id,
        parents.metric,
        parents.product_line,
        count(children.target_value) as period_child_targets,
        sum(children.target_value) as period_child_target_sum
    from dated_targets as parents
    inner join dated_targets as children
        on
            parents.level = children.level
            and parents.scope_id = children.scope_id
            and parents.metric = children.metric
            and parents.product_line is not distinct from children.product_line
            and (
                (
                    parents.period_type = 'quarter'
                    and children.period_type = 'month'
                    and {{ period_label('children.period_start', 'quarter') }} = parents.period
                )
                or (
                    parents.period_type = 'year'
                    and children.period_type = 'quarter'
                    and left(children.period, 4) = parents.period
                )
            )
    group by
        parents.period_type,
        parents.period,
        parents.level,
        parents.scope_id,
        parents.metric,
        parents.product_line

),

trailing_actuals as (

    select
        dated_targets.period_type,
        dated_targets.period,
        dated_targets.level,
        dated_targets.scope_id,
        dated_targets.metric,
        dated_targets.product_line,
        coalesce(last_actual.actual, 0) as last_quarter_actual,
        coalesce(year_ago_actual.actual, 0) as four_quarters_ago_actual
    from dated_targets
    -- the quarter before must be complete, the quarter four before inside the data spine
    inner join periods as last_quarter
        on
            last_quarter.period_type = 'quarter'
            and last_quarter.period_start = cast(dated_targets.period_start - interval 3 month as date)
            and last_quarter.period_end <= {{ as_of_date() }}
    inner join periods as year_ago
        on
            year_ago.period_type = 'quarter'
            and year_ago.period_start = cast(dated_targets.period_start - interval 12 month as date)
    left join actuals as last_actual
        on
            last_actual.period_type = 'quarter'
            and last_quarter.period = last_actual.period
            and dated_targets.level = last_actual.level
            and dated_targets.scope_id = last_actual.scope_id
            and dated_targets.metric = last_actual.metric
            and dated_targets.product_line is not distinct from last_actual.product_line
    left join actuals as year_ago_actual
        on
            year_ago_actual.period_type = 'quarter'
            and year_ago.period = year_ago_actual.period
            and dated_targets.level = year_ago_actual.level
            and dated_targets.scope_id = year_ago_actual.scope_id
            and dated_targets.metric = year_ago_actual.metric
            and dated_targets.product_line is not distinct from year_ago_actual.product_line
    where
        dated_targets.period_type = 'quarter'
        and dated_targets.metric in (
            {%- for metric in result_target_metrics() + process_target_metrics() -%}
            '{{ metric }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )

),

trailing_four as (

    -- the four quarters before a quarter target: how many lie in the spine, their actuals'
    -- sum and the smallest of them (a spine quarter without a row counts 0)
    select
        trailing_actuals.period,
        trailing_actuals.level,
        trailing_actuals.scope_id,
        trailing_actuals.metric,
        trailing_actuals.product_line,
        count(*) as trailing_quarters,
        sum(coalesce(quarter_actual.actual, 0)) as trailing_four_quarters_actual,
        min(coalesce(quarter_actual.actual, 0)) as smallest_quarter_actual
    from trailing_actuals
    inner join dated_targets
        on
            trailing_actuals.period_type = dated_targets.period_type
            and trailing_actuals.period = dated_targets.period
            and trailing_actuals.level = dated_targets.level
            and trailing_actuals.scope_id = dated_targets.scope_id
            and trailing_actuals.metric = dated_targets.metric
            and trailing_actuals.product_line is not distinct from dated_targets.product_line
    inner join periods as trailing_quarter
        on
            trailing_quarter.period_type = 'quarter'
            and cast(dated_targets.period_start - interval 12 month as date) <= trailing_quarter.period_start
            and dated_targets.period_start > trailing_quarter.period_start
    left join actuals as quarter_actual
        on
            quarter_actual.period_type = 'quarter'
            and trailing_quarter.period = quarter_actual.period
            and trailing_actuals.level = quarter_actual.level
            and trailing_actuals.scope_id = quarter_actual.scope_id
            and trailing_actuals.metric = quarter_actual.metric
            and trailing_actuals.product_line is not distinct from quarter_actual.product_line
    group by all

),

trends as (

    select
        trailing_actuals.*,
        trailing_four.trailing_four_quarters_actual,
        -- the run rate: the mean of the four quarters before, when each of them had business
        case
            when trailing_four.trailing_quarters = 4 and trailing_four.smallest_quarter_actual > 0
                then {{ division_as_double('trailing_four.trailing_four_quarters_actual') }} / 4
        end as run_rate,
        case
            when trailing_actuals.last_quarter_actual > 0 and trailing_actuals.four_quarters_ago_actual > 0
                then pow(
                    cast(trailing_actuals.last_quarter_actual as double)
                    / cast(trailing_actuals.four_quarters_ago_actual as double),
                    {{ division_as_double('1.0') }} / 3
                ) - 1
        end as trend_quarterly_growth
    from trailing_actuals
    left join trailing_four
        on
            trailing_actuals.period = trailing_four.period
            and trailing_actuals.level = trailing_four.level
            and trailing_actuals.scope_id = trailing_four.scope_id
            and trailing_actuals.metric = trailing_four.metric
            and trailing_actuals.product_line is not distinct from trailing_four.product_line

),

combined as (

    select
        dated_targets.period_type,
        dated_targets.period,
        dated_targets.period_start,
        dated_targets.level,
        dated_targets.scope_id,
        dated_targets.metric,
        dated_targets.product_line,
        dated_targets.target_value,
        dated_targets.target_source,
        case
            when
                periods.period is not null
                and (dated_targets.product_line is null or dated_targets.metric in ('revenue', 'units'))
                then coalesce(actuals.actual, 0)
        end as actual,
        child_sums.child_targets,
        cast(child_sums.child_target_sum as decimal(38, 2)) as child_target_sum,
        period_child_sums.period_child_targets,
        cast(period_child_sums.period_child_target_sum as decimal(38, 2)) as period_child_target_sum,
        trends.last_quarter_actual,
        trends.four_quarters_ago_actual,
        trends.trend_quarterly_growth,
        cast(trends.trailing_four_quarters_actual as decimal(38, 2)) as trailing_four_quarters_actual,
        cast({{ round_double('trends.run_rate', 2) }} as decimal(38, 2)) as trend_value
    from dated_targets
    left join periods
        on
            dated_targets.period_type = periods.period_type
            and dated_targets.period = periods.period
    left join actuals
        on
            dated_targets.period_type = actuals.period_type
            and dated_targets.period = actuals.period
            and dated_targets.level = actuals.level
            and dated_targets.scope_id = actuals.scope_id
            and dated_targets.metric = actuals.metric
            and dated_targets.product_line is not distinct from actuals.product_line
    left join child_sums
        on
            dated_targets.period_type = child_sums.period_type
            and dated_targets.period = child_sums.period
            and dated_targets.level = child_sums.level
            and dated_targets.scope_id = child_sums.scope_id
            and dated_targets.metric = child_sums.metric
            and dated_targets.product_line is not distinct from child_sums.product_line
    left join period_child_sums
        on
            dated_targets.period_type = period_child_sums.period_type
            and dated_targets.period = period_child_sums.period
            and dated_targets.level = period_child_sums.level
            and dated_targets.scope_id = period_child_sums.scope_id
            and dated_targets.metric = period_child_sums.metric
            and dated_targets.product_line is not distinct from period_child_sums.product_line
    left join trends
        on
            dated_targets.period_type = trends.period_type
            and dated_targets.period = trends.period
            and dated_targets.level = trends.level
            and dated_targets.scope_id = trends.scope_id
            and dated_targets.metric = trends.metric
            and dated_targets.product_line is not distinct from trends.product_line

),

final as (

    select
        period_type,
        period,
        period_start,
        level,
        scope_id,
        metric,
        product_line,
        target_value,
        target_source,
        actual,
        {{ attainment('actual', 'target_value') }} as attainment,
        case level
            when 'company' then 'region'
            when 'region' then 'team'
            when 'team' then 'rep'
        end as child_level,
        coalesce(child_targets, 0) as child_targets,
        child_target_sum,
        case
            when level = 'rep' then null
            when coalesce(child_targets, 0) = 0 then 'no_child_targets'
            when child_target_sum = target_value then 'adds_up'
            else 'differs'
        end as add_up_status,
        case period_type
            when 'year' then 'quarter'
            when 'quarter' then 'month'
        end as period_child_type,
        coalesce(period_child_targets, 0) as period_child_targets,
        period_child_target_sum,
        case
            when period_type = 'month' then null
            when coalesce(period_child_targets, 0) = 0 then 'no_child_targets'
            when period_child_target_sum = target_value then 'adds_up'
            else 'differs'
        end as period_add_up_status,
        last_quarter_actual,
        four_quarters_ago_actual,
        trend_quarterly_growth,
        trailing_four_quarters_actual,
        trend_value,
        trend_value is not null
        and trend_value >= {{ target_reasonableness_min_trend('metric') }} as is_judged,
        case
            when trend_value is not null and trend_value >= {{ target_reasonableness_min_trend('metric') }}
                then
                    target_value < trend_value / (1 + {{ target_reasonableness_band() }})
                    or target_value > trend_value * (1 + {{ target_reasonableness_band() }})
        end as is_unreasonable
    from combined

)

select * from final
