{#-
  Lost opportunities per period of their local close date (<= as_of_date), per lost reason
  and scope (owner, owner's team and region at the close date, from
  int_opportunities_enriched). A lost deal without a reason counts under '(none)'.
-#}
with

levels as (

    {{ scope_levels() }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

reasons as (

    select
        opportunity_id,
        lost_reason
    from {{ ref('stg_crm__opportunities') }}

),

lost as (

    select
        opportunities.owner_rep_id,
        opportunities.team,
        opportunities.region,
        opportunities.close_date,
        coalesce(nullif(trim(reasons.lost_reason), ''), '(none)') as lost_reason,
        opportunities.amount_reporting
    from opportunities
    inner join reasons
        on opportunities.opportunity_id = reasons.opportunity_id
    where
        opportunities.is_lost
        and opportunities.close_date <= {{ as_of_date() }}

),

scoped as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        levels.level,
        {{ scope_id_for('levels.level', 'lost.owner_rep_id', 'lost.team', 'lost.region') }} as scope_id,
        lost.lost_reason,
        lost.amount_reporting
    from lost
    inner join periods
        on lost.close_date between periods.period_start and periods.period_end
    cross join levels

),

by_reason as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        lost_reason,
        count(*) as lost,
        cast(coalesce(sum(amount_reporting), 0) as decimal(18, 2)) as lost_amount
    from scoped
    where scope_id is not null
    group by all

),

final as (

    select
        *,
        cast(lost as double)
        / cast(sum(lost) over (partition by period_type, period, level, scope_id) as double)
            as share_of_lost
    from by_reason

)

select * from final
