{#-
  Computes what fct_sales_forecast publishes (fct_forecast_accuracy reads it here: no mart
  reads another mart). The statistical forecast of revenue and bookings (int_statistical_forecasts) side by side
  with the benchmarks, the pipeline-weighted forecast and the actual, per period (each
  forecast quarter and its months), measure and organisation scope, with the errors of every
  forecast once the period has ended: the back-test of each past quarter, forecast as of the
  day before it began.
  - pipeline_forecast (quarter rows): next_quarter_weighted_pipeline of the scope's pipeline
    snapshot (int_pipeline_snapshots) on origin_date, the day the forecast is made
    (pipeline_basis 'load_snapshot'); where no company snapshot exists that day (days before
    the first load), the pipeline reconstructed from the stage history
    (int_reconstructed_pipeline; pipeline_basis 'stage_history'); 0 for a scope without a row
    (no open pipeline); null with pipeline_basis 'none' when neither exists (no snapshot and
    no stage history by then). pipeline_basis is null on month rows.
  - pipeline_commit_forecast / pipeline_best_case_forecast (quarter rows): beside it, the
    next-quarter open amounts the CRM categorises commit, and commit + best case
    (next_quarter_commit_pipeline / next_quarter_best_case_pipeline of the snapshot); 0 for a
    scope without a row that day; null when the export carries no forecast category that day.
  - actual: the measure in the period (int_forecast_history; 0 for a month without any) once
    period_end is on or before as_of_date, else null.
  - <forecast>_error = forecast − actual; <forecast>_abs_error = |error|; <forecast>_pct_error
    = abs_error / actual (null when the actual is 0).
-#}
with

forecasts as (

    select * from {{ ref('int_statistical_forecasts') }}

),

history as (

    select * from {{ ref('int_forecast_history') }}

),

snapshots as (

    select * from {{ ref('int_pipeline_snapshots') }}

),

reconstructed as (

    select * from {{ ref('int_reconstructed_pipeline') }}

),

actuals as (

    select
        forecasts.measure,
        forecasts.level,
        forecasts.scope_id,
        forecasts.period_type,
        forecasts.period,
        sum(history.amount) as actual
    from forecasts
    inner join history
        on
            forecasts.measure = history.measure
            and forecasts.level = history.level
            and forecasts.scope_id = history.scope_id
            and history.month_start between forecasts.period_start and forecasts.period_end
    where forecasts.period_end <= {{ as_of_date() }}
    group by all

),

joined as (

    select
        forecasts.measure,
        forecasts.period_type,
        forecasts.period,
        forecasts.period_start,
        forecasts.period_end,
        forecasts.level,
        forecasts.scope_id,
        forecasts.forecast_quarter,
        forecasts.origin_date,
        forecasts.history_months,
        forecasts.method,
        cast(round(forecasts.forecast, 2) as decimal(38, 2)) as forecast,
        cast(round(forecasts.forecast_lower, 2) as decimal(38, 2)) as forecast_lower,
        cast(round(forecasts.forecast_upper, 2) as decimal(38, 2)) as forecast_upper,
        cast(round(forecasts.naive_forecast, 2) as decimal(38, 2)) as naive_forecast,
        cast(round(forecasts.seasonal_naive_forecast, 2) as decimal(38, 2)) as seasonal_naive_forecast,
        case
            when forecasts.period_type != 'quarter' then null
            when company_snapshot.snapshot_date is not null
                then coalesce(snapshots.next_quarter_weighted_pipeline, cast(0 as decimal(38, 2)))
            when company_reconstructed.forecast_quarter is not null
                then coalesce(reconstructed.weighted_pipeline, cast(0 as decimal(38, 2)))
        end as pipeline_forecast,
        case
            when forecasts.period_type != 'quarter' then null
            when company_snapshot.snapshot_date is not null then 'load_snapshot'
            when company_reconstructed.forecast_quarter is not null then 'stage_history'
            else 'none'
        end as pipeline_basis,
        case
            when forecasts.period_type = 'quarter' and company_snapshot.next_quarter_commit_pipeline is not null
                then coalesce(snapshots.next_quarter_commit_pipeline, cast(0 as decimal(38, 2)))
        end as pipeline_commit_forecast,
        case
            when forecasts.period_type = 'quarter' and company_snapshot.next_quarter_best_case_pipeline is not null
                then coalesce(snapshots.next_quarter_best_case_pipeline, cast(0 as decimal(38, 2)))
        end as pipeline_best_case_forecast,
        case
            when forecasts.period_end <= {{ as_of_date() }}
                then coalesce(actuals.actual, cast(0 as decimal(38, 2)))
        end as actual
    from forecasts
    left join actuals
        on
            forecasts.measure = actuals.measure
            and forecasts.level = actuals.level
            and forecasts.scope_id = actuals.scope_id
            and forecasts.period_type = actuals.period_type
            and forecasts.period = actuals.period
    left join snapshots as company_snapshot
        on
            forecasts.origin_date = company_snapshot.snapshot_date
            and company_snapshot.level = 'company'
            and forecasts.forecast_quarter = company_snapshot.next_quarter
    left join snapshots
        on
            forecasts.origin_date = snapshots.snapshot_date
            and forecasts.level = snapshots.level
            and forecasts.scope_id = snapshots.scope_id
            and forecasts.forecast_quarter = snapshots.next_quarter
    left join reconstructed as company_reconstructed
        on
            forecasts.forecast_quarter = company_reconstructed.forecast_quarter
            and company_reconstructed.level = 'company'
    left join reconstructed
        on
            forecasts.forecast_quarter = reconstructed.forecast_quarter
            and forecasts.level = reconstructed.level
            and forecasts.scope_id = reconstructed.scope_id

),

final as (

    select
        *,
        forecast - actual as forecast_error,
        abs(forecast - actual) as forecast_abs_error,
        case
            when actual != 0 then cast(abs(forecast - actual) as double) / cast(actual as double)
        end as forecast_pct_error,
        naive_forecast - actual as naive_error,
        abs(naive_forecast - actual) as naive_abs_error,
        case
            when actual != 0 then cast(abs(naive_forecast - actual) as double) / cast(actual as double)
        end as naive_pct_error,
        seasonal_naive_forecast - actual as seasonal_naive_error,
        abs(seasonal_naive_forecast - actual) as seasonal_naive_abs_error,
        case
            when actual != 0 then cast(abs(seasonal_naive_forecast - actual) as double) / cast(actual as double)
        end as seasonal_naive_pct_error,
        pipeline_forecast - actual as pipeline_error,
        abs(pipeline_forecast - actual) as pipeline_abs_error,
        case
            when actual != 0 then cast(abs(pipeline_forecast - actual) as double) / cast(actual as double)
        end as pipeline_pct_error
    from joined

)

select * from final
