{#-
  Next-quarter revenue forecasts per organisation scope, side by side with the actual. For every
  quarter of the spine after the first, and the quarter after the one holding as_of_date, the
  forecast is made at its origin: the day before the quarter starts (as_of_date for the
  quarter after the current one), from what was known then:
  - trend_forecast: ordinary least squares line through the monthly revenue of the complete
    months up to the origin (int_sales_performance at the row's level and scope_id; every
    month of the spine counts, months without revenue are 0),
    times a seasonal index per calendar month when the history holds at least
    var forecast_seasonal_min_months months (mean ratio of revenue to the fitted line for that
    month of the year, normalised to average 1; else every index is 1), summed over the
    quarter's three months, negative months counted as 0. Null with fewer than
    var forecast_min_months months.
  - pipeline_forecast: next_quarter_weighted_pipeline of the scope's pipeline snapshot on
    the origin day; 0 for a scope without a row that day (it held no open pipeline); null
    when there is no company snapshot for that day (no snapshot was taken).
  actual_revenue is the scope's revenue of the quarter once the quarter has ended (on or
  before as_of_date). Scopes: the company, and every (level, scope_id) with a row in
  int_sales_performance (its levels are those of macro scope_levels); each gets every forecast
  quarter, and the same history of spine months.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

performance as (

    select * from {{ ref('int_sales_performance') }}

),

snapshots as (

    select * from {{ ref('int_pipeline_snapshots') }}

),

scopes as (

    select
        'company' as level,
        'all' as scope_id

    union

    select distinct
        level,
        scope_id
    from performance
    where scope_id is not null

),

months as (

    select
        scopes.level,
        scopes.scope_id,
        periods.period_start as month_start,
        periods.period_end as month_end,
        month(periods.period_start) as month_of_year,
        year(periods.period_start) * 12 + month(periods.period_start) as month_index,
        cast(coalesce(performance.revenue, 0) as double) as revenue
    from periods
    cross join scopes
    left join performance
        on
            periods.period_type = performance.period_type
            and periods.period = performance.period
            and scopes.level = performance.level
            and scopes.scope_id = performance.scope_id
    where
        periods.period_type = 'month'
        and periods.period_end <= {{ as_of_date() }}

),

spine_quarters as (

    select
        period as forecast_quarter,
        period_start as quarter_start,
        period_end as quarter_end
    from periods
    where period_type = 'quarter'

),

next_quarter as (

    select
        {{ period_label('cast(max(quarter_start) + interval 3 month as date)', 'quarter') }} as forecast_quarter,
        cast(max(quarter_start) + interval 3 month as date) as quarter_start,
        cast(max(quarter_start) + interval 6 month - interval 1 day as date) as quarter_end
    from spine_quarters

),

candidate_quarters as (

    select * from spine_quarters
    union all
    select * from next_quarter
    where forecast_quarter is not null

),

first_quarter as (

    select min(quarter_start) as first_quarter_start
    from spine_quarters

),

quarters as (

    select
        candidate_quarters.*,
        least(cast(candidate_quarters.quarter_start - interval 1 day as date), {{ as_of_date() }}) as origin_date
    from candidate_quarters
    inner join first_quarter
        on candidate_quarters.quarter_start > first_quarter.first_quarter_start

),

history as (

    select
        quarters.forecast_quarter,
        months.level,
        months.scope_id,
        months.month_of_year,
        months.month_index,
        months.revenue
    from quarters
    inner join months
        on quarters.origin_date >= months.month_end

),

lines as (

    select
        forecast_quarter,
        level,
        scope_id,
        count(*) as history_months,
        regr_slope(revenue, month_index) as slope,
        regr_intercept(revenue, month_index) as intercept
    from history
    group by forecast_quarter, level, scope_id

),

ratios as (

    select
        history.forecast_quarter,
        history.level,
        history.scope_id,
        history.month_of_year,
        avg(history.revenue / (lines.intercept + lines.slope * history.month_index)) as raw_index
    from history
    inner join lines
        on
            history.forecast_quarter = lines.forecast_quarter
            and history.level = lines.level
            and history.scope_id = lines.scope_id
    where
        lines.history_months >= {{ var('forecast_seasonal_min_months') | int }}
        and lines.intercept + lines.slope * history.month_index > 0
    group by all

),

calendar_months as (

    select unnest(range(1, 13)) as month_of_year

),

month_offsets as (

    select unnest(range(0, 3)) as month_offset

),

month_grid as (

    select
        lines.forecast_quarter,
        lines.level,
        lines.scope_id,
        calendar_months.month_of_year
    from lines
    cross join calendar_months

),

seasonal as (

    select
        month_grid.forecast_quarter,
        month_grid.level,
        month_grid.scope_id,
        month_grid.month_of_year,
        coalesce(ratios.raw_index, 1.0)
        / avg(coalesce(ratios.raw_index, 1.0)) over (
            partition by month_grid.forecast_quarter, month_grid.level, month_grid.scope_id
        ) as seasonal_index
    from month_grid
    left join ratios
        on
            month_grid.forecast_quarter = ratios.forecast_quarter
            and month_grid.level = ratios.level
            and month_grid.scope_id = ratios.scope_id
            and month_grid.month_of_year = ratios.month_of_year

),

shifted_months as (

    select
        quarters.forecast_quarter,
        cast(quarters.quarter_start + to_months(cast(month_offsets.month_offset as integer)) as date)
            as target_month
    from quarters
    cross join month_offsets

),

quarter_months as (

    select
        forecast_quarter,
        month(target_month) as month_of_year,
        year(target_month) * 12 + month(target_month) as month_index
    from shifted_months

),

trend as (

    select
        quarter_months.forecast_quarter,
        lines.level,
        lines.scope_id,
        sum(
            greatest(lines.intercept + lines.slope * quarter_months.month_index, 0)
            * seasonal.seasonal_index
        ) as trend_forecast
    from quarter_months
    inner join lines
        on quarter_months.forecast_quarter = lines.forecast_quarter
    inner join seasonal
        on
            quarter_months.forecast_quarter = seasonal.forecast_quarter
            and lines.level = seasonal.level
            and lines.scope_id = seasonal.scope_id
            and quarter_months.month_of_year = seasonal.month_of_year
    where lines.history_months >= {{ var('forecast_min_months') | int }}
    group by quarter_months.forecast_quarter, lines.level, lines.scope_id

),

final as (

    select
        quarters.forecast_quarter,
        quarters.quarter_start,
        quarters.quarter_end,
        quarters.origin_date,
        scopes.level,
        scopes.scope_id,
        coalesce(lines.history_months, 0) as history_months,
        case
            when coalesce(lines.history_months, 0) < {{ var('forecast_min_months') | int }} then null
            when lines.history_months >= {{ var('forecast_seasonal_min_months') | int }} then 'trend_seasonal'
            else 'trend'
        end as trend_method,
        cast(round(trend.trend_forecast, 2) as decimal(38, 2)) as trend_forecast,
        case
            when company_snapshot.snapshot_date is not null
                then coalesce(snapshots.next_quarter_weighted_pipeline, cast(0 as decimal(38, 2)))
        end as pipeline_forecast,
        case when quarters.quarter_end <= {{ as_of_date() }} then coalesce(actual.revenue, 0) end
            as actual_revenue
    from quarters
    cross join scopes
    left join lines
        on
            quarters.forecast_quarter = lines.forecast_quarter
            and scopes.level = lines.level
            and scopes.scope_id = lines.scope_id
    left join trend
        on
            quarters.forecast_quarter = trend.forecast_quarter
            and scopes.level = trend.level
            and scopes.scope_id = trend.scope_id
    left join snapshots as company_snapshot
        on
            quarters.origin_date = company_snapshot.snapshot_date
            and company_snapshot.level = 'company'
            and quarters.forecast_quarter = company_snapshot.next_quarter
    left join snapshots
        on
            quarters.origin_date = snapshots.snapshot_date
            and scopes.level = snapshots.level
            and scopes.scope_id = snapshots.scope_id
            and quarters.forecast_quarter = snapshots.next_quarter
    left join performance as actual
        on
            quarters.forecast_quarter = actual.period
            and actual.period_type = 'quarter'
            and scopes.level = actual.level
            and scopes.scope_id = actual.scope_id

)

select * from final
