{#-
  Stages of the ordered path (qualified -> discovery -> proposal -> negotiation -> won) each
  opportunity has reached as of as_of_date. Evidence: stage history entered on or before
  as_of_date plus the current stage. Reaching a later stage counts as having reached every
  earlier one (an opportunity that skipped discovery still passed it; is_implied = true), and
  every opportunity has at least reached qualified (a lost deal with no history included).
-#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stage_history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

cohort as (

    select
        opportunity_id,
        owner_rep_id,
        created_date,
        stage as current_stage,
        last_modified_date
    from opportunities
    where created_date <= {{ as_of_date() }}

),

observed as (

    select
        stage_history.opportunity_id,
        stage_history.stage,
        stage_history.entered_at
    from stage_history
    inner join cohort
        on stage_history.opportunity_id = cohort.opportunity_id
    where stage_history.entered_date <= {{ as_of_date() }}

    union all

    select
        opportunity_id,
        current_stage as stage,
        cast(null as {{ type_timestamptz() }}) as entered_at
    from cohort
    -- the current stage is evidence only if the record was last changed by the as-of date
    where last_modified_date <= {{ as_of_date() }}

),

first_entered as (

    select
        opportunity_id,
        {{ funnel_stage_order('stage') }} as stage_order,
        min(entered_at) as first_entered_at
    from observed
    where {{ funnel_stage_order('stage') }} is not null
    group by all

),

furthest as (

    select
        cohort.opportunity_id,
        greatest(coalesce(max(first_entered.stage_order), 1), 1) as furthest_stage_order
    from cohort
    left join first_entered
        on cohort.opportunity_id = first_entered.opportunity_id
    group by cohort.opportunity_id

),

path as (

    {% for stage in funnel_stages() -%}
    select
        '{{ stage }}' as stage,
        {{ loop.index }} as stage_order
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

reached as (

    select
        cohort.opportunity_id,
        cohort.owner_rep_id,
        cohort.created_date,
        path.stage,
        path.stage_order,
        first_entered.first_entered_at,
        first_entered.opportunity_id is null as is_implied
    from cohort
    inner join furthest
        on cohort.opportunity_id = furthest.opportunity_id
    inner join path
        on furthest.furthest_stage_order >= path.stage_order
    left join first_entered
        on
            cohort.opportunity_id = first_entered.opportunity_id
            and path.stage_order = first_entered.stage_order

),

final as (

    select * from reached

)

select * from final
