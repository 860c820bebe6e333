{#-
  Reporting periods from the first month with data (orders, payments, opportunities, leads;
  local dates up to as_of_date, and no earlier than var plausible_dates_from: an implausible
  date such as 1900-01-01 is flagged date_out_of_range and starts no periods) to the period
  containing as_of_date. Fiscal quarters and years
  follow var fiscal_year_start_month (macros/periods.sql).
-#}
with

orders as (

    select ordered_date as event_date from {{ ref('stg_erp__orders') }}

),

payments as (

    select paid_date as event_date from {{ ref('stg_finance__payments') }}

),

opportunities as (

    select created_date as event_date from {{ ref('stg_crm__opportunities') }}

),

leads as (

    select created_date as event_date from {{ ref('stg_crm__leads') }}

),

event_dates as (

    select event_date from orders
    union all
    select event_date from payments
    union all
    select event_date from opportunities
    union all
    select event_date from leads

),

bounds as (

    select
        cast(date_trunc('month', coalesce(min(event_date), {{ as_of_date() }})) as date) as first_month,
        cast(date_trunc('month', {{ as_of_date() }}) as date) as last_month
    from event_dates
    where
        event_date <= {{ as_of_date() }}
        and {{ is_plausible_date('event_date') }}

),

months as (

    select {{ date_series('first_month', 'last_month', 'interval 1 month') }} as month_start
    from bounds

),

{% for period_type in ['month', 'quarter', 'year'] %}
{{ period_type }}_periods as (

    select distinct
        '{{ period_type }}' as period_type,
        {{ period_label('month_start', period_type) }} as period,
        {{ period_start('month_start', period_type) }} as period_start,
        {{ period_end(period_start('month_start', period_type), period_type) }} as period_end
    from months

),

{% endfor %}
all_periods as (

    select * from month_periods
    union all
    select * from quarter_periods
    union all
    select * from year_periods

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        {{ date_diff('day', 'period_start', 'period_end') }} + 1 as days_in_period,
        period_start <= {{ as_of_date() }} and {{ as_of_date() }} <= period_end as is_current
    from all_periods

)

select * from final
