{#-
  Collections count under one rule in every mart that shows them: the paid order's rep, and
  that rep's team and region on the order date. The rows returned are the (period, level,
  scope) whose collections differ between fct_sales_performance and fct_receivables_kpis.
  (fct_team_averages is the mean of the reps ranked in a team, not the team's collections.)
-#}
with

performance as (

    select
        period_type,
        period,
        level,
        scope_id,
        collections
    from {{ ref('fct_sales_performance') }}
    where collections != 0

),

receivables as (

    select
        period_type,
        period,
        level,
        scope_id,
        collections
    from {{ ref('fct_receivables_kpis') }}
    where collections != 0

),

performance_vs_receivables as (

    select
        'fct_receivables_kpis' as other_mart,
        coalesce(performance.period_type, receivables.period_type) as period_type,
        coalesce(performance.period, receivables.period) as period,
        coalesce(performance.level, receivables.level) as level,
        coalesce(performance.scope_id, receivables.scope_id) as scope_id,
        performance.collections as performance_collections,
        receivables.collections as other_collections
    from performance
    full outer join receivables
        on
            performance.period_type = receivables.period_type
            and performance.period = receivables.period
            and performance.level = receivables.level
            and performance.scope_id = receivables.scope_id
    where performance.collections is distinct from receivables.collections

),

final as (

    select * from performance_vs_receivables

)

select * from final
