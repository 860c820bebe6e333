{#-
  Customer activity, churn, retention, repeat purchase, cross-sell and satisfaction per period
  (month | quarter | year) and level (company | region | team | rep). A customer counts in a
  scope through its non-cancelled orders attributed to that scope (the order's rep, that rep's
  team and region, via int_order_scopes). A period is judged at start_ref = the day before
  period_start and at end_ref = least(period_end, as_of_date). Active at d: an order with
  local date in (d - active_customer_days, d]. Trailing window: orders with local date in
  (end_ref - trailing_months months, end_ref].
  Written for millions of orders under the nightly memory limit: only aggregates DuckDB can
  spill to disk (no count(distinct) over the order-by-period rows).
-#}
{%- set active_days = var('active_customer_days') | int -%}
{%- set trailing_months = var('trailing_months') | int -%}
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_booked_orders') }}

),

order_scopes as (

    select * from {{ ref('int_order_scopes') }}

),

order_product_lines as (

    select * from {{ ref('int_order_product_lines') }}

),

surveys as (

    select * from {{ ref('stg_crm__satisfaction_surveys') }}

),

judged_periods as (

    select
        period_type,
        period,
        period_start,
        period_end,
        cast(period_start - interval 1 day as date) as start_ref,
        least(period_end, {{ as_of_date() }}) as end_ref
    from periods
    where period_start <= {{ as_of_date() }}

),

scoped_orders as (

    select
        order_scopes.level,
        order_scopes.scope_id,
        orders.order_id,
        orders.account_id,
        orders.ordered_date
    from orders
    inner join order_scopes
        on orders.order_id = order_scopes.order_id

),

orders_in_windows as (

    select
        judged_periods.period_type,
        judged_periods.period,
        scoped_orders.*,
        scoped_orders.ordered_date <= judged_periods.start_ref
        and scoped_orders.ordered_date > judged_periods.start_ref - {{ active_days }} as counts_at_start,
        scoped_orders.ordered_date > judged_periods.end_ref - {{ active_days }} as counts_at_end,
        scoped_orders.ordered_date > judged_periods.end_ref - interval {{ trailing_months }} month
            as is_trailing
    from scoped_orders
    inner join judged_periods
        on
            scoped_orders.ordered_date <= judged_periods.end_ref
            and (
                scoped_orders.ordered_date > judged_periods.start_ref - {{ active_days }}
                or scoped_orders.ordered_date > judged_periods.end_ref - interval {{ trailing_months }} month
            )

),

account_product_lines as (

    -- the days each account bought each product line in a scope (one row however many orders)
    select distinct
        scoped_orders.level,
        scoped_orders.scope_id,
        scoped_orders.account_id,
        order_product_lines.product_line,
        scoped_orders.ordered_date
    from scoped_orders
    inner join order_product_lines
        on scoped_orders.order_id = order_product_lines.order_id

),

trailing_lines_seen as (

    select distinct
        judged_periods.period_type,
        judged_periods.period,
        account_product_lines.level,
        account_product_lines.scope_id,
        account_product_lines.account_id,
        account_product_lines.product_line
    from account_product_lines
    inner join judged_periods
        on
            account_product_lines.ordered_date <= judged_periods.end_ref
            and account_product_lines.ordered_date > judged_periods.end_ref - interval {{ trailing_months }} month

),

trailing_product_lines as (

    select
        period_type,
        period,
        level,
        scope_id,
        account_id,
        count(*) as product_lines
    from trailing_lines_seen
    group by period_type, period, level, scope_id, account_id

),

customers as (

    select
        period_type,
        period,
        level,
        scope_id,
        account_id,
        bool_or(counts_at_start) as is_active_at_start,
        bool_or(counts_at_end) as is_active_at_end,
        -- an order has one scope per level (int_order_scopes), so its rows here are distinct:
        -- a plain count, which DuckDB can spill to disk at millions of orders
        count(*) filter (where is_trailing) as trailing_orders
    from orders_in_windows
    group by period_type, period, level, scope_id, account_id

),

customers_with_lines as (

    select
        customers.*,
        coalesce(trailing_product_lines.product_lines, 0) as trailing_product_lines
    from customers
    left join trailing_product_lines
        on
            customers.period_type = trailing_product_lines.period_type
            and customers.period = trailing_product_lines.period
            and customers.level = trailing_product_lines.level
            and customers.scope_id = trailing_product_lines.scope_id
            and customers.account_id = trailing_product_lines.account_id

),

activity as (

    select
        period_type,
        period,
        level,
        scope_id,
        count(*) filter (where is_active_at_start) as active_at_start,
        count(*) filter (where is_active_at_end) as active_at_end,
        count(*) filter (where is_active_at_start and not is_active_at_end) as churned,
        count(*) filter (where is_active_at_end and not is_active_at_start) as gained,
        count(*) filter (where trailing_orders >= 1) as trailing_customers,
        count(*) filter (where trailing_orders >= 2) as repeat_customers,
        count(*) filter (where trailing_product_lines >= 2) as cross_sell_customers,
        sum(trailing_product_lines) filter (where trailing_orders >= 1) as trailing_product_lines
    from customers_with_lines
    group by period_type, period, level, scope_id

),

surveys_in_periods as (

    select
        judged_periods.period_type,
        judged_periods.period,
        surveys.account_id,
        surveys.score
    from surveys
    inner join judged_periods
        on surveys.surveyed_at between judged_periods.period_start and judged_periods.end_ref

),

scoped_surveys as (

    select
        surveys_in_periods.period_type,
        surveys_in_periods.period,
        'company' as level,
        'all' as scope_id,
        surveys_in_periods.score
    from surveys_in_periods

    union all

    select
        surveys_in_periods.period_type,
        surveys_in_periods.period,
        customers.level,
        customers.scope_id,
        surveys_in_periods.score
    from surveys_in_periods
    inner join customers
        on
            surveys_in_periods.period_type = customers.period_type
            and surveys_in_periods.period = customers.period
            and surveys_in_periods.account_id = customers.account_id
    where customers.level != 'company' and customers.is_active_at_end

),

satisfaction as (

    select
        period_type,
        period,
        level,
        scope_id,
        count(*) as surveys,
        {{ divide_decimal('sum(score)', 'count(*)', 2) }} as avg_satisfaction_score
    from scoped_surveys
    group by period_type, period, level, scope_id

),

final as (

    select
        activity.period_type,
        activity.period,
        judged_periods.period_start,
        judged_periods.period_end,
        judged_periods.end_ref as measure_date,
        activity.level,
        activity.scope_id,
        activity.active_at_start,
        activity.active_at_end,
        activity.gained,
        activity.churned,
        case
            when activity.active_at_start > 0
                then cast(activity.churned as double) / cast(activity.active_at_start as double)
        end as churn_rate,
        case
            when activity.active_at_start > 0
                then 1 - cast(activity.churned as double) / cast(activity.active_at_start as double)
        end as retention_rate,
        activity.trailing_customers,
        activity.repeat_customers,
        case
            when activity.trailing_customers > 0
                then cast(activity.repeat_customers as double) / cast(activity.trailing_customers as double)
        end as repeat_purchase_rate,
        activity.cross_sell_customers,
        {{ divide_decimal('activity.trailing_product_lines', 'activity.trailing_customers', 2) }}
            as avg_product_lines,
        coalesce(satisfaction.surveys, 0) as surveys,
        satisfaction.avg_satisfaction_score
    from activity
    inner join judged_periods
        on
            activity.period_type = judged_periods.period_type
            and activity.period = judged_periods.period
    left join satisfaction
        on
            activity.period_type = satisfaction.period_type
            and activity.period = satisfaction.period
            and activity.level = satisfaction.level
            and activity.scope_id = satisfaction.scope_id

)

select * from final
