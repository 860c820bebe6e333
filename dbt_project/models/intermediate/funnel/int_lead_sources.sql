{#-
  Lead-source effectiveness per lead creation cohort and organisation scope: leads created in
  the period (local date <= as_of_date) by source, how many converted, and the rate.
  Scopes (macro scope_levels): a lead counts for its owner (owner_rep_id) and for the team and
  region that owner was in on the lead's created_date (int_sales_rep_history). A lead without
  an owner counts at company level only; an owner with no team or region that day counts for
  the levels it has. The company rows hold every lead, whatever its owner.
-#}
with

levels as (

    {{ scope_levels() }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

flagged as (

    select
        lead_id,
        source,
        owner_rep_id,
        created_date,
        -- converted by the as-of date: a dated conversion counts only if it happened by then;
        -- an undated one (status or opportunity link only) counts as soon as it is seen
        case
            when converted_at is not null then converted_date <= {{ as_of_date() }}
            else coalesce(status = 'converted' or opportunity_id is not null, false)
        end as is_converted
    from leads
    where created_date <= {{ as_of_date() }}

),

owned as (

    select
        flagged.*,
        rep_history.team,
        rep_history.region
    from flagged
    left join rep_history
        on {{ rep_history_at('rep_history', 'flagged.owner_rep_id', 'flagged.created_date') }}

),

scoped as (

    select
        owned.*,
        levels.level,
        {{ scope_id_for('levels.level', 'owned.owner_rep_id', 'owned.team', 'owned.region') }}
            as scope_id
    from owned
    cross join levels

),

by_cohort as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        scoped.level,
        scoped.scope_id,
        scoped.source,
        count(*) as leads,
        count(*) filter (where scoped.is_converted) as converted
    from scoped
    inner join periods
        on scoped.created_date between periods.period_start and periods.period_end
    where scoped.scope_id is not null
    group by all

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        source,
        leads,
        converted,
        cast(converted as double) / cast(leads as double) as lead_conversion_rate
    from by_cohort

)

select * from final
