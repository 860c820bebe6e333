{#-
  Customer acquisition cost and its payback per (period_type, period, level, scope_id,
  channel): a row for every spine period (int_periods) and scope with spend
  (int_marketing_spend) or new customers. channel '(all)': every channel together (the
  scope's CAC); a named channel: the spend rows of that channel and the new customers
  attributed to it, the lead source of their first order's opportunity (int_booked_orders
  .lead_source, trimmed and lower-cased as spend channels are); '(none)': spend rows without a
  channel and new customers without a lead source, which cannot be paired (cac null). The
  channel rows add up to the '(all)' row.
  - cac_na_reason: why cac is null: no_channel ('(none)'), unpriced_spend, no_spend,
    no_new_customers; null when cac has a value.
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

acquired_customers as (

    select
        event_scopes.period_type,
        event_scopes.period,
        event_scopes.level,
        event_scopes.scope_id,
        coalesce(nullif(lower(trim(booked_orders.lead_source)), ''), '(none)') as channel,
        first_year.first_year_revenue,
        first_year.is_first_year_complete
    from event_scopes
    inner join booked_orders
        on event_scopes.event_id = booked_orders.order_id
    inner join first_year
        on booked_orders.account_id = first_year.account_id

),

acquired_by_channel as (

    select
        period_type,
        period,
        level,
        scope_id,
        channel,
        count(*) as new_customers,
        sum(first_year_revenue) as first_year_revenue,
        bool_and(is_first_year_complete) as first_year_complete
    from acquired_customers
    group by all

),

acquired as (

    select
        period_type,
        period,
        level,
        scope_id,
        '(all)' as channel,
        sum(new_customers) as new_customers,
        sum(first_year_revenue) as first_year_revenue,
        bool_and(first_year_complete) as first_year_complete
    from acquired_by_channel
    group by all

    union all

    select * from acquired_by_channel

),

spend_by_channel as (

    select
        period_type,
        period,
        level,
        scope_id,
        coalesce(channel, '(none)') as channel,
        spend_reporting,
        unpriced_rows,
        spend_source
    from spend

),

spend_all as (

    select
        period_type,
        period,
        level,
        scope_id,
        '(all)' as channel,
        case
            when sum(unpriced_rows) = 0 then cast(sum(spend_reporting) as decimal(38, 2))
        end as spend_reporting,
        sum(unpriced_rows) as unpriced_rows,
        min(spend_source) as spend_source
    from spend_by_channel
    group by all

    union all

    select * from spend_by_channel

),

scopes as (

    select
        period_type,
        period,
        level,
        scope_id,
        channel
    from acquired

    union

    select
        period_type,
        period,
        level,
        scope_id,
        channel
    from spend_all

),

combined as (

    select
        scopes.period_type,
        scopes.period,
        periods.period_start,
        periods.period_end,
        scopes.level,
        scopes.scope_id,
        scopes.channel,
        spend_all.spend_reporting as spend,
        cast(coalesce(spend_all.unpriced_rows, 0) as bigint) as unpriced_spend_rows,
        spend_all.spend_source,
        cast(coalesce(acquired.new_customers, 0) as bigint) as new_customers,
        cast(coalesce(acquired.first_year_revenue, 0) as decimal(38, 2)) as first_year_revenue,
        coalesce(acquired.first_year_complete, false) as first_year_complete
    from scopes
    inner join periods
        on
            scopes.period_type = periods.period_type
            and scopes.period = periods.period
    left join spend_all
        on
            scopes.period_type = spend_all.period_type
            and scopes.period = spend_all.period
            and scopes.level = spend_all.level
            and scopes.scope_id = spend_all.scope_id
            and scopes.channel = spend_all.channel
    left join acquired
        on
            scopes.period_type = acquired.period_type
            and scopes.period = acquired.period
            and scopes.level = acquired.level
            and scopes.scope_id = acquired.scope_id
            and scopes.channel = acquired.channel

),

paired as (

    select
        *,
        case
            when channel = '(none)' then 'no_channel'
            when unpriced_spend_rows > 0 then 'unpriced_spend'
            when spend is null then 'no_spend'
            when new_customers = 0 then 'no_new_customers'
        end as cac_na_reason
    from combined

),

final as (

    select
        *,
        case
            when cac_na_reason is null then {{ divide_decimal('spend', 'new_customers', 2) }}
        end as cac,
        case
            when cac_na_reason is null and first_year_complete
                then {{ divide_decimal('cast(spend as decimal(38, 2)) * 12', 'first_year_revenue', 2) }}
        end as cac_payback_months
    from paired

)

select * from final
