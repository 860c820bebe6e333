{#-
  Customer acquisition cost and its payback per (period_type, period, level, scope_id): a row
  for every spine period (int_periods) and scope with spend (int_marketing_spend) or new
  customers.
  - new_customers: accounts whose first booked order (int_booked_orders.is_first_order) falls
    in the period, counted for the rep on that order and the rep's team and region at the
    order date (int_sales_event_scopes), as fct_sales_performance counts them.
  - spend: the scope's sales and marketing spend in the reporting currency; null when no spend
    row names the scope and period, or one has no fx rate (unpriced_spend_rows).
  - cac = spend / new_customers (2 places, half away from zero); null without spend or
    without new customers.
  - first_year_revenue: the booked revenue of those new customers (all their orders, whoever
    booked them) from their first order date to the day before its anniversary; its
    first_year_complete is true when that year has ended for every one of them by as_of_date.
  - cac_payback_months = cac / (first_year_revenue / new_customers / 12) = spend × 12 /
    first_year_revenue (2 places): the months of a new customer's average first-year revenue
    that recover its CAC. Null while a first year is incomplete, without cac, or without
    first-year revenue.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

spend as (

    select * from {{ ref('int_marketing_spend') }}

),

event_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type = 'order_booked' and is_first_order

),

booked_orders as (

    select * from {{ ref('int_booked_orders') }}

),

first_orders as (

    select
        account_id,
        ordered_date as first_order_date
    from booked_orders
    where is_first_order

),

first_year as (

    select
        first_orders.account_id,
        first_orders.first_order_date,
        cast(first_orders.first_order_date + interval 12 month as date) <= {{ as_of_date() }} + interval 1 day
            as is_first_year_complete,
        sum(booked_orders.total_amount_reporting) as first_year_revenue
    from first_orders
    inner join booked_orders
        on
            first_orders.account_id = booked_orders.account_id
            and first_orders.first_order_date <= booked_orders.ordered_date
            and first_orders.first_order_date + interval 12 month > booked_orders.ordered_date
    group by first_orders.account_id, first_orders.first_order_date

),

acquired as (

    select
        event_scopes.period_type,
        event_scopes.period,
        event_scopes.level,
        event_scopes.scope_id,
        count(*) as new_customers,
        sum(first_year.first_year_revenue) as first_year_revenue,
        bool_and(first_year.is_first_year_complete) as first_year_complete
    from event_scopes
    inner join booked_orders
        on event_scopes.event_id = booked_orders.order_id
    inner join first_year
        on booked_orders.account_id = first_year.account_id
    group by all

),

scopes as (

    select
        period_type,
        period,
        level,
        scope_id
    from acquired

    union

    select
        period_type,
        period,
        level,
        scope_id
    from spend

),

combined as (

    select
        scopes.period_type,
        scopes.period,
        periods.period_start,
        periods.period_end,
        scopes.level,
        scopes.scope_id,
        spend.spend_reporting as spend,
        coalesce(spend.unpriced_rows, 0) as unpriced_spend_rows,
        spend.spend_source,
        cast(coalesce(acquired.new_customers, 0) as bigint) as new_customers,
        cast(coalesce(acquired.first_year_revenue, 0) as decimal(38, 2)) as first_year_revenue,
        coalesce(acquired.first_year_complete, false) as first_year_complete
    from scopes
    inner join periods
        on
            scopes.period_type = periods.period_type
            and scopes.period = periods.period
    left join spend
        on
            scopes.period_type = spend.period_type
            and scopes.period = spend.period
            and scopes.level = spend.level
            and scopes.scope_id = spend.scope_id
    left join acquired
        on
            scopes.period_type = acquired.period_type
            and scopes.period = acquired.period
            and scopes.level = acquired.level
            and scopes.scope_id = acquired.scope_id

),

final as (

    select
        *,
        {{ divide_decimal('spend', 'new_customers', 2) }} as cac,
        case
            when first_year_complete and new_customers > 0
                then {{ divide_decimal('cast(spend as decimal(38, 2)) * 12', 'first_year_revenue', 2) }}
        end as cac_payback_months
    from combined

)

select * from final
