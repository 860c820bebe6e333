{#-
  Published from int_rep_scorecard, which computes it: fct_team_averages reads the same
  rows there (a mart reads staging and intermediate models only). Its parameters are checked
  here too (check_scorecard_vars), so compiling this mart alone with wrong weights fails.
-#}
{%- set _checked = check_scorecard_vars() %}
with

rep_scorecard as (

    select * from {{ ref('int_rep_scorecard') }}

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        rep_id,
        team,
        region,
        revenue_attainment,
        won_amount_attainment,
        collections_attainment,
        new_customers_attainment,
        units_attainment,
        visits_attainment,
        proposals_attainment,
        quotes_attainment,
        result_metrics_scored,
        result_score,
        process_metrics_scored,
        process_score,
        capability_ratings,
        product_knowledge,
        selling_skill,
        teamwork,
        capability_score,
        weight_used,
        scorecard_score,
        rank_in_team,
        rank_in_company
    from rep_scorecard

)

select * from final
