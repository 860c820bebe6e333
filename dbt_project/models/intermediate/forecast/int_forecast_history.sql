{#-
  The monthly series the statistical forecast learns from: revenue and bookings (won amount)
  per organisation scope (the (level, scope_id) rows of int_sales_performance, company
  included), one row per complete month (month end on or before as_of_date) from the series'
  first month with a non-zero amount. A month after that without a row or without the
  amount counts as 0 (nothing was booked); months before it are not in the series at all
  (the scope had no data yet: not a zero).
-#}
with

periods as (

    select * from {{ ref('int_periods') }}
    where period_type = 'month'

),

performance as (

    select * from {{ ref('int_sales_performance') }}
    where period_type = 'month'

),

measures as (

    select 'revenue' as measure
    union all
    select 'bookings' as measure

),

amounts as (

    select
        measures.measure,
        performance.level,
        performance.scope_id,
        performance.period,
        case measures.measure
            when 'revenue' then performance.revenue
            else performance.won_amount
        end as amount
    from performance
    cross join measures
    where performance.scope_id is not null

),

first_months as (

    select
        amounts.measure,
        amounts.level,
        amounts.scope_id,
        min(periods.period_start) as first_month
    from amounts
    inner join periods
        on amounts.period = periods.period
    where
        amounts.amount != 0
        and periods.period_end <= {{ as_of_date() }}
    group by all

),

final as (

    select
        first_months.measure,
        first_months.level,
        first_months.scope_id,
        periods.period as month,
        periods.period_start as month_start,
        periods.period_end as month_end,
        cast(coalesce(amounts.amount, 0) as decimal(38, 2)) as amount
    from first_months
    inner join periods
        on
            first_months.first_month <= periods.period_start
            and periods.period_end <= {{ as_of_date() }}
    left join amounts
        on
            first_months.measure = amounts.measure
            and first_months.level = amounts.level
            and first_months.scope_id = amounts.scope_id
            and periods.period = amounts.period

)

select * from final
