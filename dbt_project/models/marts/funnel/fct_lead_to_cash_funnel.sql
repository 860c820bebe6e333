{#-
  One funnel lead -> opportunity -> won -> ordered -> paid per lead creation cohort and scope.
  The cohort and the scopes a lead counts for are the lead_created events of
  int_sales_event_scopes (as in fct_lead_sources: the owner, and the owner's team and region on
  the lead's created_date; a lead without an owner at company level only); the dates each lead
  reached each step are int_lead_to_cash's. Per step: the leads of the cohort that reached it,
  the share of those that reached the step before (step_conversion_rate) and of the whole
  cohort (cohort_conversion_rate), and the median days from the step before
  (date_diff in days of the two dates, over the leads that reached the step).
-#}
with

lead_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type = 'lead_created'

),

lead_steps as (

    select * from {{ ref('int_lead_to_cash') }}

),

{%- set steps = [
    ('lead', 'lead_date', none),
    ('opportunity', 'opportunity_date', 'lead_date'),
    ('won', 'won_date', 'opportunity_date'),
    ('ordered', 'ordered_date', 'won_date'),
    ('paid', 'paid_date', 'ordered_date')
] %}

reached as (

    {% for step, date_column, previous_column in steps -%}
    select
        lead_scopes.period_type,
        lead_scopes.period,
        lead_scopes.period_start,
        lead_scopes.period_end,
        lead_scopes.level,
        lead_scopes.scope_id,
        {{ loop.index }} as step_order,
        '{{ step }}' as step,
        lead_steps.lead_id,
        {%- if previous_column %}
        {{ date_diff('day', 'lead_steps.' ~ previous_column, 'lead_steps.' ~ date_column) }} as days_from_previous
        {%- else %}
        cast(null as bigint) as days_from_previous
        {%- endif %}
    from lead_scopes
    inner join lead_steps
        on lead_scopes.event_id = lead_steps.lead_id
    where lead_steps.{{ date_column }} is not null
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

step_names as (

    {% for step, date_column, previous_column in steps -%}
    select
        {{ loop.index }} as step_order,
        '{{ step }}' as step
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

),

cohorts as (

    select distinct
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id
    from lead_scopes

),

counted as (

    select
        period_type,
        period,
        level,
        scope_id,
        step_order,
        count(*) as leads,
        median(days_from_previous) as median_days_from_previous
    from reached
    group by all

),

grid as (

    select
        cohorts.*,
        step_names.step_order,
        step_names.step,
        coalesce(counted.leads, 0) as leads,
        counted.median_days_from_previous
    from cohorts
    cross join step_names
    left join counted
        on
            cohorts.period_type = counted.period_type
            and cohorts.period = counted.period
            and cohorts.level = counted.level
            and cohorts.scope_id = counted.scope_id
            and step_names.step_order = counted.step_order

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        step_order,
        step,
        cast(leads as bigint) as leads,
        cast(lag(leads) over cohort_steps as bigint) as previous_step_leads,
        cast(leads as double) / nullif(cast(lag(leads) over cohort_steps as double), 0) as step_conversion_rate,
        cast(leads as double) / nullif(cast(first_value(leads) over cohort_steps as double), 0)
            as cohort_conversion_rate,
        cast(median_days_from_previous as double) as median_days_from_previous
    from grid
    window cohort_steps as (partition by period_type, period, level, scope_id order by step_order)

)

select * from final
