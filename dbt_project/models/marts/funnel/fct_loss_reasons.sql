{#-
  Lost opportunities per period of their local close date (<= as_of_date), per lost reason
  and scope (owner, owner's team and region at the close date: the opportunity_lost events of
  int_sales_event_scopes). A lost deal without a reason counts under '(none)'.
-#}
with

lost_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type = 'opportunity_lost'

),

reasons as (

    select
        opportunity_id,
        lost_reason
    from {{ ref('stg_crm__opportunities') }}

),

scoped as (

    select
        lost_scopes.period_type,
        lost_scopes.period,
        lost_scopes.period_start,
        lost_scopes.period_end,
        lost_scopes.level,
        lost_scopes.scope_id,
        coalesce(nullif(trim(reasons.lost_reason), ''), '(none)') as lost_reason,
        lost_scopes.amount_reporting
    from lost_scopes
    inner join reasons
        on lost_scopes.event_id = reasons.opportunity_id

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
        cast(coalesce(sum(amount_reporting), 0) as decimal(38, 2)) as lost_amount
    from scoped
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
