{#-
  Published from int_sales_performance, which computes it: fct_pipeline, fct_sales_velocity, fct_sales_forecast, fct_targets, fct_team_averages and int_rep_scorecard read the same
  rows there (a mart reads staging and intermediate models only).
-#}
with

sales_performance as (

    select * from {{ ref('int_sales_performance') }}

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        revenue,
        collections,
        orders,
        new_customers,
        avg_order_value,
        revenue_target,
        revenue_attainment,
        won,
        lost,
        win_rate,
        avg_deal_size,
        avg_sales_cycle_days,
        median_sales_cycle_days,
        won_amount,
        won_amount_target,
        won_amount_attainment,
        collections_target,
        collections_attainment,
        new_customers_target,
        new_customers_attainment,
        units,
        units_target,
        units_attainment,
        visits,
        calls,
        demos,
        proposals,
        quotes,
        visits_target,
        visits_attainment,
        proposals_target,
        proposals_attainment,
        quotes_target,
        quotes_attainment
    from sales_performance

)

select * from final
