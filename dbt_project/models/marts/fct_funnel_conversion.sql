{#-
  Stage-to-stage conversion of each opportunity creation cohort (period of created_date),
  for the consecutive pairs of the path qualified -> discovery -> proposal -> negotiation -> won.
  Stages reached come from int_opportunity_stages_reached (history plus current stage; a later
  stage implies the earlier ones). Every period of int_periods gets all four pairs.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

stages_reached as (

    select * from {{ ref('int_opportunity_stages_reached') }}

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
        periods.period_type,
        periods.period,
        stages_reached.stage_order,
        count(distinct stages_reached.opportunity_id) as opportunities
    from stages_reached
    inner join periods
        on stages_reached.created_date between periods.period_start and periods.period_end
    group by periods.period_type, periods.period, stages_reached.stage_order

),

grid as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        stage_pairs.stage_order,
        stage_pairs.stage_from,
        stage_pairs.stage_to
    from periods
    cross join stage_pairs

),

final as (

    select
        grid.period_type,
        grid.period,
        grid.period_start,
        grid.period_end,
        grid.stage_order,
        grid.stage_from,
        grid.stage_to,
        coalesce(reached_from.opportunities, 0) as reached_from,
        coalesce(reached_to.opportunities, 0) as reached_to,
        cast(coalesce(reached_to.opportunities, 0) as double)
        / nullif(cast(coalesce(reached_from.opportunities, 0) as double), 0) as conversion_rate
    from grid
    left join reached_by_cohort as reached_from
        on
            grid.period_type = reached_from.period_type
            and grid.period = reached_from.period
            and grid.stage_order = reached_from.stage_order
    left join reached_by_cohort as reached_to
        on
            grid.period_type = reached_to.period_type
            and grid.period = reached_to.period
            and grid.stage_order + 1 = reached_to.stage_order

)

select * from final
