{#-
  The statistical forecast beside its benchmarks, the pipeline and the actual, per period,
  measure and scope, with the errors of every forecast once its period has ended (the
  back-test): published from int_sales_forecast, which computes it (columns documented here).
-#}
with

forecast as (

    select * from {{ ref('int_sales_forecast') }}

),

final as (

    select
        measure,
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        forecast_quarter,
        origin_date,
        history_months,
        method,
        forecast,
        forecast_lower,
        forecast_upper,
        naive_forecast,
        seasonal_naive_forecast,
        pipeline_forecast,
        pipeline_basis,
        pipeline_commit_forecast,
        pipeline_best_case_forecast,
        actual,
        forecast_error,
        forecast_abs_error,
        forecast_pct_error,
        naive_error,
        naive_abs_error,
        naive_pct_error,
        seasonal_naive_error,
        seasonal_naive_abs_error,
        seasonal_naive_pct_error,
        pipeline_error,
        pipeline_abs_error,
        pipeline_pct_error
    from forecast

)

select * from final
