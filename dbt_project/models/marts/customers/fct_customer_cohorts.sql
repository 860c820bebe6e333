{#-
  Monthly acquisition cohorts: accounts grouped by the month of their first non-cancelled
  order (int_booked_orders.is_first_order), and for each month k since then (k = 0 .. the
  month containing as_of_date) how many of them placed a non-cancelled order in month k.
  Month 0 counts the whole cohort (the first order). Company level; orders on or before
  as_of_date.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

orders as (

    select * from {{ ref('int_booked_orders') }}

),

booked_orders as (

    select
        account_id,
        ordered_date,
        is_first_order,
        cast(date_trunc('month', ordered_date) as date) as order_month
    from orders

),

cohort_members as (

    select
        account_id,
        order_month as cohort_start
    from booked_orders
    where is_first_order

),

cohorts as (

    select
        cohort_start,
        count(*) as cohort_customers
    from cohort_members
    group by cohort_start

),

months as (

    select
        period_start as month_start,
        period_end as month_end
    from periods
    where period_type = 'month'

),

cohort_months as (

    select
        cohorts.cohort_start,
        cohorts.cohort_customers,
        months.month_start,
        months.month_end,
        {{ date_diff('month', 'cohorts.cohort_start', 'months.month_start') }} as months_since_first_order
    from cohorts
    inner join months
        on cohorts.cohort_start <= months.month_start

),

ordering_customers as (

    select
        cohort_members.cohort_start,
        booked_orders.order_month,
        count(distinct booked_orders.account_id) as ordering_customers
    from booked_orders
    inner join cohort_members
        on booked_orders.account_id = cohort_members.account_id
    group by cohort_members.cohort_start, booked_orders.order_month

),

final as (

    select
        {{ format_date('cohort_months.cohort_start', '%Y-%m') }} as cohort_month,
        cohort_months.cohort_start,
        cohort_months.months_since_first_order,
        {{ format_date('cohort_months.month_start', '%Y-%m') }} as activity_month,
        cohort_months.month_end <= {{ as_of_date() }} as is_complete_month,
        cohort_months.cohort_customers,
        cast(coalesce(ordering_customers.ordering_customers, 0) as bigint) as ordering_customers,
        cast(coalesce(ordering_customers.ordering_customers, 0) as double)
        / cast(cohort_months.cohort_customers as double) as retention_rate
    from cohort_months
    left join ordering_customers
        on
            cohort_months.cohort_start = ordering_customers.cohort_start
            and cohort_months.month_start = ordering_customers.order_month

)

select * from final
