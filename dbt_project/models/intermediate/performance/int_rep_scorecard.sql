{#-
  The weighted rep scorecard per period: result score (revenue, bookings, collections, new
  customers, units attainment), process score (visits, proposals, quotes attainment), capability score
  (manager ratings), their weighted sum and the ranks within team and company.
  Points of one metric = least(attainment, cap) × 100 (var scorecard_attainment_cap, the bonus
  ceiling: 100% attainment = 100 points, 150% = 150 by default);
  a part's score = mean points over its metrics that have a positive target. scorecard_score =
  sum(weight × score) / sum(weight) over the parts that have a score (var scorecard_weights,
  summing to 1), so a missing part (no process targets, no ratings) does not count as zero.
  A metric whose records were never loaded (macro target_metric_source: e.g. revenue of a
  CRM-only business without orders) is left out of its part, not scored 0.
-#}
{%- set metric_sources = [] %}
{%- for metric in result_target_metrics() + process_target_metrics() %}
{%- if target_metric_source(metric) not in metric_sources %}
{%- do metric_sources.append(target_metric_source(metric)) %}
{%- endif %}
{%- endfor %}
with

performance as (

    select * from {{ ref('int_sales_performance') }}
    where level = 'rep'

),

capability_scores as (

    select * from {{ ref('stg_crm__capability_scores') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

loaded_inputs as (

    {%- for source in metric_sources %}
    select
        '{{ source }}' as source_model,
        count(*) > 0 as is_loaded
    from {{ ref(source) }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

rated as (

    select
        rep_id,
        {{ period_type_of_label('upper(trim(period))') }} as rated_period_type,
        {{ period_start_from_label('upper(trim(period))') }} as rated_period_start,
        product_knowledge,
        selling_skill,
        teamwork
    from capability_scores

),

capability as (

    -- ratings of a month, quarter or year count for every period of the same or a longer
    -- type that contains its first day
    select
        performance.period_type,
        performance.period,
        performance.scope_id as rep_id,
        count(*) as ratings,
        avg(rated.product_knowledge) as product_knowledge,
        avg(rated.selling_skill) as selling_skill,
        avg(rated.teamwork) as teamwork,
        avg({{ division_as_double(
            '(rated.product_knowledge + rated.selling_skill + rated.teamwork)'
        ) }} / 3) as capability_raw
    from performance
    inner join rated
        on
            performance.scope_id = rated.rep_id
            and rated.rated_period_start between performance.period_start and performance.period_end
            and {{ period_months_expr('rated.rated_period_type') }}
            <= {{ period_months_expr('performance.period_type') }}
    group by performance.period_type, performance.period, performance.scope_id

),

points as (

    select
        performance.period_type,
        performance.period,
        performance.period_start,
        performance.period_end,
        performance.scope_id as rep_id,
        {%- for metric in result_target_metrics() + process_target_metrics() %}
        {%- set column = target_metric_column(metric) %}
        performance.{{ column }}_attainment,
        case
            when (
                select loaded.is_loaded from loaded_inputs as loaded
                where loaded.source_model = '{{ target_metric_source(metric) }}'
            )
                then {{ capped_points('performance.' ~ column ~ '_attainment') }}
        end as {{ metric }}_points,
        {%- endfor %}
        least(performance.period_end, {{ as_of_date() }}) as team_date
    from performance

),

{% set part_metrics = {'result': result_target_metrics(), 'process': process_target_metrics()} %}
parts as (

    select
        points.*,
        {%- for part, metrics in part_metrics.items() %}
        (
            {%- for metric in metrics %}
            case when {{ metric }}_points is not null then 1 else 0 end{{ ' +' if not loop.last }}
            {%- endfor %}
        ) as {{ part }}_metrics_scored,
        (
            {%- for metric in metrics %}
            coalesce({{ metric }}_points, 0){{ ' +' if not loop.last }}
            {%- endfor %}
        ) as {{ part }}_points_sum,
        {%- endfor %}
        capability.ratings as capability_ratings,
        capability.product_knowledge,
        capability.selling_skill,
        capability.teamwork,
        capability.capability_raw
    from points
    left join capability
        on
            points.period_type = capability.period_type
            and points.period = capability.period
            and points.rep_id = capability.rep_id

),

scores as (

    select
        *,
        case when result_metrics_scored > 0 then result_points_sum / result_metrics_scored end as result_raw,
        case when process_metrics_scored > 0 then process_points_sum / process_metrics_scored end as process_raw
    from parts

),

weighted as (

    select
        *,
        (case when result_raw is not null then {{ scorecard_weight('result') }} else 0 end)
        + (case when process_raw is not null then {{ scorecard_weight('process') }} else 0 end)
        + (case when capability_raw is not null then {{ scorecard_weight('capability') }} else 0 end)
            as weight_used,
        coalesce({{ scorecard_weight('result') }} * result_raw, 0)
        + coalesce({{ scorecard_weight('process') }} * process_raw, 0)
        + coalesce({{ scorecard_weight('capability') }} * cast(capability_raw as double), 0)
            as weighted_sum
    from scores

),

with_team as (

    select
        weighted.*,
        rep_history.team,
        rep_history.region,
        cast(round(weighted.result_raw, 2) as decimal(9, 2)) as result_score,
        cast(round(weighted.process_raw, 2) as decimal(9, 2)) as process_score,
        cast(round(weighted.capability_raw, 2) as decimal(9, 2)) as capability_score,
        case
            when weighted.weight_used > 0
                then cast(round(weighted.weighted_sum / cast(weighted.weight_used as double), 2) as decimal(9, 2))
        end as scorecard_score
    from weighted
    left join rep_history
        on {{ rep_history_at('rep_history', 'weighted.rep_id', 'weighted.team_date') }}

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
        {%- for metric in result_target_metrics() + process_target_metrics() %}
        {{ target_metric_column(metric) }}_attainment,
        {%- endfor %}
        result_metrics_scored,
        result_score,
        process_metrics_scored,
        process_score,
        capability_ratings,
        cast(round(product_knowledge, 2) as decimal(9, 2)) as product_knowledge,
        cast(round(selling_skill, 2) as decimal(9, 2)) as selling_skill,
        cast(round(teamwork, 2) as decimal(9, 2)) as teamwork,
        capability_score,
        cast(weight_used as decimal(9, 6)) as weight_used,
        scorecard_score,
        case
            when scorecard_score is not null and team is not null
                then rank() over (
                    partition by period_type, period, team, scorecard_score is null, team is null
                    order by scorecard_score desc
                )
        end as rank_in_team,
        case
            when scorecard_score is not null
                then rank() over (
                    partition by period_type, period, scorecard_score is null
                    order by scorecard_score desc
                )
        end as rank_in_company
    from with_team

)

select * from final
