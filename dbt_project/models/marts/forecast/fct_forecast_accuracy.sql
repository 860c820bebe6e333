{#-
  How well each forecast did on the back-test, per measure and organisation scope: over the
  quarters of fct_sales_forecast that have ended (actual known) and for which the
  statistical, the naive and the seasonal-naive forecast all exist (so the three are compared
  on the same quarters), the mean absolute error and the mean absolute percentage error
  (quarters with a 0 actual left out of the percentage) of each; the pipeline forecast's over
  the subset of those quarters where it exists. improvement_over_naive = 1 −
  forecast_mae / naive_mae (0.25: a quarter smaller error than the naive forecast), the same
  for seasonal naive. Percentages are averaged as exact decimals, so every rebuild gives the
  same figures (a sum of doubles depends on the order the rows arrive in).
-#}
with

quarters as (

    select * from {{ ref('int_sales_forecast') }}
    where
        period_type = 'quarter'
        and actual is not null
        and forecast is not null
        and naive_forecast is not null
        and seasonal_naive_forecast is not null

),

final as (

    select
        measure,
        level,
        scope_id,
        count(*) as quarters_tested,
        min(period) as first_quarter,
        max(period) as last_quarter,
        cast(round(avg(forecast_abs_error), 2) as decimal(38, 2)) as forecast_mae,
        cast(round(avg(naive_abs_error), 2) as decimal(38, 2)) as naive_mae,
        cast(round(avg(seasonal_naive_abs_error), 2) as decimal(38, 2)) as seasonal_naive_mae,
        cast(avg(cast(forecast_pct_error as decimal(38, 18))) as double) as forecast_mape,
        cast(avg(cast(naive_pct_error as decimal(38, 18))) as double) as naive_mape,
        cast(avg(cast(seasonal_naive_pct_error as decimal(38, 18))) as double) as seasonal_naive_mape,
        count(pipeline_forecast) as pipeline_quarters_tested,
        cast(round(avg(pipeline_abs_error), 2) as decimal(38, 2)) as pipeline_mae,
        cast(avg(cast(pipeline_pct_error as decimal(38, 18))) as double) as pipeline_mape,
        case
            when avg(naive_abs_error) > 0
                then 1 - cast(avg(forecast_abs_error) as double) / cast(avg(naive_abs_error) as double)
        end as improvement_over_naive,
        case
            when avg(seasonal_naive_abs_error) > 0
                then 1 - cast(avg(forecast_abs_error) as double) / cast(avg(seasonal_naive_abs_error) as double)
        end as improvement_over_seasonal_naive
    from quarters
    group by measure, level, scope_id

)

select * from final
