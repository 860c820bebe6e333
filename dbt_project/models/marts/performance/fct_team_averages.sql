{#-
  The team average beside a rep's own figures: per (period, team), the mean over the team's reps
  of their rep rows of int_sales_performance (fct_sales_performance). A rep belongs to the team
  they were in on the period's last day, or on as_of_date when that is earlier
  (int_sales_rep_history, taken from int_rep_scorecard.team, the team the rep is ranked in).
  Reps count when they have a rep row in the period (an event or a target); a rep with neither
  has no row and does not count. Means are rounded half away from zero to 2 places
  (divide_decimal).
-#}
with

performance as (

    select * from {{ ref('int_sales_performance') }}
    where level = 'rep'

),

scorecard as (

    select * from {{ ref('int_rep_scorecard') }}

),

team_reps as (

    select
        performance.period_type,
        performance.period,
        performance.period_start,
        performance.period_end,
        scorecard.team,
        performance.scope_id as rep_id,
        performance.revenue,
        performance.revenue_target,
        performance.collections,
        performance.orders,
        performance.new_customers,
        performance.won_amount,
        performance.won_amount_target,
        scorecard.scorecard_score
    from performance
    inner join scorecard
        on
            performance.period_type = scorecard.period_type
            and performance.period = scorecard.period
            and performance.scope_id = scorecard.rep_id
    where scorecard.team is not null

),

totals as (

    select
        period_type,
        period,
        period_start,
        period_end,
        team,
        count(*) as reps,
        sum(revenue) as revenue,
        count(revenue_target) as reps_with_revenue_target,
        sum(revenue_target) as revenue_target,
        sum(collections) as collections,
        sum(orders) as orders,
        sum(new_customers) as new_customers,
        sum(won_amount) as won_amount,
        count(won_amount_target) as reps_with_won_amount_target,
        sum(won_amount_target) as won_amount_target,
        count(scorecard_score) as scored_reps,
        sum(scorecard_score) as scorecard_score
    from team_reps
    group by period_type, period, period_start, period_end, team

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        team,
        reps,
        {{ divide_decimal('revenue', 'reps', 2) }} as avg_revenue,
        reps_with_revenue_target,
        {{ divide_decimal('revenue_target', 'reps_with_revenue_target', 2) }} as avg_revenue_target,
        {{ divide_decimal('collections', 'reps', 2) }} as avg_collections,
        {{ divide_decimal('orders', 'reps', 2) }} as avg_orders,
        {{ divide_decimal('new_customers', 'reps', 2) }} as avg_new_customers,
        scored_reps,
        {{ divide_decimal('scorecard_score', 'scored_reps', 2) }} as avg_scorecard_score,
        {{ divide_decimal('won_amount', 'reps', 2) }} as avg_won_amount,
        reps_with_won_amount_target,
        {{ divide_decimal('won_amount_target', 'reps_with_won_amount_target', 2) }} as avg_won_amount_target
    from totals

)

select * from final
