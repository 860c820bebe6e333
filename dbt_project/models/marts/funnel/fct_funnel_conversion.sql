{#-
  Stage-to-stage conversion of each opportunity creation cohort (period of created_date), for
  the consecutive pairs of the path qualified -> discovery -> proposal -> negotiation -> won.
  Stages reached come from int_opportunity_stages_reached. var funnel_stage_evidence chooses
  the evidence: 'recorded' (default) counts a stage only when the stage history or the current
  stage shows it (is_implied = false); 'implied' also counts the stages before the furthest one
  reached. reached_to counts the opportunities of the cohort that reached both stage_from and
  stage_to, so the rate never exceeds 1 (with implied stages, reaching stage_to implies
  stage_from, and reached_to is simply those that reached stage_to); reached_stage_to counts
  those that reached stage_to, whether or not they reached stage_from. Cohorts and scopes are the opportunity_created events of
  int_sales_event_scopes: an opportunity counts for its owner and the owner's team and region as
  int_opportunities_enriched gives them. At company level every period of int_periods gets all
  four pairs; another scope gets the four pairs of the periods in which it has a cohort (at
  least one opportunity created).
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

{%- set evidence = funnel_stage_evidence() %}

stages_reached as (

    select * from {{ ref('int_opportunity_stages_reached') }}
    {%- if evidence == 'recorded' %}
    where not is_implied
    {%- endif %}

),

cohort_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type = 'opportunity_created'

),

stage_pairs as (

    {% set stages = funnel_stages() -%}
    {% for index in range(stages | length - 1) -%}
    select
        {{ index + 1 }} as stage_order,
        '{{ stages[index] }}' as stage_from,
        '{{ stages[index + 1] }}' as stage_to
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

reached_by_cohort as (

    select
        cohort_scopes.period_type,
        cohort_scopes.period,
        cohort_scopes.level,
        cohort_scopes.scope_id,
        stages_reached.stage_order,
        count(distinct stages_reached.opportunity_id) as opportunities
    from cohort_scopes
    inner join stages_reached
        on cohort_scopes.event_id = stages_reached.opportunity_id
    group by all

),

-- opportunities of the cohort that reached both stages of a pair (stage_order = the pair's)
pairs_by_cohort as (

    select
        cohort_scopes.period_type,
        cohort_scopes.period,
        cohort_scopes.level,
        cohort_scopes.scope_id,
        reached_from.stage_order,
        count(distinct reached_from.opportunity_id) as opportunities
    from cohort_scopes
    inner join stages_reached as reached_from
        on cohort_scopes.event_id = reached_from.opportunity_id
    inner join stages_reached as reached_to
        on
            reached_from.opportunity_id = reached_to.opportunity_id
            and reached_from.stage_order + 1 = reached_to.stage_order
    group by all

),

scopes as (

    select
        period_type,
        period,
        'company' as level,
        'all' as scope_id
    from periods

    union

    select
        period_type,
        period,
        level,
        scope_id
    from reached_by_cohort

),

grid as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        scopes.level,
        scopes.scope_id,
        stage_pairs.stage_order,
        stage_pairs.stage_from,
        stage_pairs.stage_to
    from scopes
    inner join periods
        on
            scopes.period_type = periods.period_type
            and scopes.period = periods.period
    cross join stage_pairs

),

final as (

    select
        grid.period_type,
        grid.period,
        grid.period_start,
        grid.period_end,
        grid.level,
        grid.scope_id,
        grid.stage_order,
        grid.stage_from,
        grid.stage_to,
        coalesce(reached_from.opportunities, 0) as reached_from,
        coalesce(reached_to.opportunities, 0) as reached_to,
        coalesce(reached_next.opportunities, 0) as reached_stage_to,
        cast(coalesce(reached_to.opportunities, 0) as double)
        / nullif(cast(coalesce(reached_from.opportunities, 0) as double), 0) as conversion_rate
    from grid
    left join reached_by_cohort as reached_from
        on
            grid.period_type = reached_from.period_type
            and grid.period = reached_from.period
            and grid.level = reached_from.level
            and grid.scope_id = reached_from.scope_id
            and grid.stage_order = reached_from.stage_order
    left join pairs_by_cohort as reached_to
        on
            grid.period_type = reached_to.period_type
            and grid.period = reached_to.period
            and grid.level = reached_to.level
            and grid.scope_id = reached_to.scope_id
            and grid.stage_order = reached_to.stage_order
    left join reached_by_cohort as reached_next
        on
            grid.period_type = reached_next.period_type
            and grid.period = reached_next.period
            and grid.level = reached_next.level
            and grid.scope_id = reached_next.scope_id
            and grid.stage_order + 1 = reached_next.stage_order

)

select * from final
