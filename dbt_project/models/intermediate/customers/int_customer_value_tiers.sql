{#-
  ABC value tiers per period (month | quarter | year): the accounts with trailing revenue > 0
  at measure_date = least(period_end, as_of_date), ranked by it (ties: account_id ascending).
  Trailing revenue = non-cancelled orders in the reporting currency with local order date in
  (measure_date - trailing_months months, measure_date], for the whole company. An account is
  A while the revenue of the accounts ranked before it is below abc_a_share of the total (so
  the account that crosses the threshold is still A), B while below abc_b_share, else C.
  Levels (macro scope_levels): the company rows ('all') are that ranking. A region, team or
  rep lists the accounts with scope_trailing_revenue > 0, i.e. trailing-window orders of the
  scope's reps (team and region of the order date, as int_orders_enriched carries them);
  their value_tier, trailing_revenue, rank and shares stay the COMPANY ones (ABC is a company
  ranking), and scope_trailing_revenue is the revenue of those orders alone.
-#}
{%- set trailing_months = var('trailing_months') | int -%}
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_booked_orders') }}

),

levels as (

    {{ scope_levels() }}

),

judged_periods as (

    select
        period_type,
        period,
        period_start,
        period_end,
        least(period_end, {{ as_of_date() }}) as measure_date
    from periods
    where period_start <= {{ as_of_date() }}

),

scoped_trailing_revenue as (

    select
        judged_periods.period_type,
        judged_periods.period,
        levels.level,
        {{ scope_id_for('levels.level', 'orders.rep_id', 'orders.team', 'orders.region') }} as scope_id,
        orders.account_id,
        sum(orders.total_amount_reporting) as trailing_revenue
    from orders
    inner join judged_periods
        on
            orders.ordered_date <= judged_periods.measure_date
            and orders.ordered_date > judged_periods.measure_date - interval {{ trailing_months }} month
    cross join levels
    group by all

),

trailing_revenue as (

    select
        period_type,
        period,
        account_id,
        trailing_revenue
    from scoped_trailing_revenue
    where level = 'company'

),

ranked as (

    select
        period_type,
        period,
        account_id,
        cast(trailing_revenue as decimal(38, 2)) as trailing_revenue,
        row_number() over (
            partition by period_type, period
            order by trailing_revenue desc, account_id asc
        ) as revenue_rank,
        cast(sum(trailing_revenue) over (partition by period_type, period) as decimal(38, 2))
            as total_revenue,
        cast(coalesce(sum(trailing_revenue) over (
            partition by period_type, period
            order by trailing_revenue desc, account_id asc
            rows between unbounded preceding and 1 preceding
        ), 0) as decimal(38, 2)) as revenue_before
    from trailing_revenue
    where trailing_revenue > 0

),

company_tiers as (

    select
        ranked.period_type,
        ranked.period,
        judged_periods.period_start,
        judged_periods.period_end,
        judged_periods.measure_date,
        ranked.account_id,
        ranked.trailing_revenue,
        ranked.revenue_rank,
        {{ divide_decimal('ranked.trailing_revenue', 'ranked.total_revenue', 6, 2) }} as revenue_share,
        {{ divide_decimal('ranked.revenue_before + ranked.trailing_revenue', 'ranked.total_revenue', 6, 2) }}
            as cumulative_share,
        case
            when ranked.revenue_before < ranked.total_revenue * cast({{ var('abc_a_share') }} as decimal(9, 6))
                then 'A'
            when ranked.revenue_before < ranked.total_revenue * cast({{ var('abc_b_share') }} as decimal(9, 6))
                then 'B'
            else 'C'
        end as value_tier
    from ranked
    inner join judged_periods
        on
            ranked.period_type = judged_periods.period_type
            and ranked.period = judged_periods.period

),

final as (

    select
        scoped_trailing_revenue.level,
        scoped_trailing_revenue.scope_id,
        company_tiers.period_type,
        company_tiers.period,
        company_tiers.period_start,
        company_tiers.period_end,
        company_tiers.measure_date,
        company_tiers.account_id,
        company_tiers.trailing_revenue,
        cast(scoped_trailing_revenue.trailing_revenue as decimal(38, 2)) as scope_trailing_revenue,
        company_tiers.revenue_rank,
        company_tiers.revenue_share,
        company_tiers.cumulative_share,
        company_tiers.value_tier
    from scoped_trailing_revenue
    inner join company_tiers
        on
            scoped_trailing_revenue.period_type = company_tiers.period_type
            and scoped_trailing_revenue.period = company_tiers.period
            and scoped_trailing_revenue.account_id = company_tiers.account_id
    where
        scoped_trailing_revenue.scope_id is not null
        and scoped_trailing_revenue.trailing_revenue > 0

)

select * from final
