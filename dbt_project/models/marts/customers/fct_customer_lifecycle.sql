{#-
  Where each account stands as of as_of_date: its order history (non-cancelled orders on or
  before as_of_date), cross-sell (distinct product lines), activity, current ABC tier, latest
  satisfaction score and lifecycle stage. One row per account (stg_crm__accounts).
  Lifecycle stage, first rule that applies:
    acquisition  no order yet (a lead or prospect);
    churned      no order in the trailing active_customer_days (not active);
    retention    active and first order more than active_customer_days ago (kept past its
                 first year: it ordered again since);
    growth       two or more orders, or two or more product lines;
    conversion   one order, placed within the last lifecycle_conversion_days;
    service      one order, placed earlier.
-#}
{%- set active_days = var('active_customer_days') | int -%}
{%- set trailing_months = var('trailing_months') | int -%}
with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

orders as (

    select * from {{ ref('int_booked_orders') }}

),

order_product_lines as (

    select * from {{ ref('int_order_product_lines') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

value_tiers as (

    select * from {{ ref('int_customer_value_tiers') }}

),

surveys as (

    select * from {{ ref('stg_crm__satisfaction_surveys') }}

),

booked_orders as (

    select
        *,
        ordered_date > {{ as_of_date() }} - interval {{ trailing_months }} month as is_trailing
    from orders

),

order_history as (

    select
        account_id,
        count(*) as orders,
        count(*) filter (where is_trailing) as trailing_orders,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        sum(total_amount_reporting) as lifetime_revenue
    from booked_orders
    group by account_id

),

product_lines as (

    select
        booked_orders.account_id,
        count(distinct order_product_lines.product_line) as product_lines,
        count(distinct order_product_lines.product_line) filter (where booked_orders.is_trailing)
            as trailing_product_lines
    from booked_orders
    inner join order_product_lines
        on booked_orders.order_id = order_product_lines.order_id
    group by booked_orders.account_id

),

first_opportunities as (

    select
        account_id,
        min(created_date) as first_opportunity_date
    from opportunities
    where created_date <= {{ as_of_date() }}
    group by account_id

),

current_tiers as (

    select
        account_id,
        value_tier
    from value_tiers
    where level = 'company' and period_type = 'month' and measure_date = {{ as_of_date() }}

),

latest_surveys as (

    select
        account_id,
        surveyed_at,
        score
    from surveys
    where surveyed_at <= {{ as_of_date() }}
    qualify row_number() over (partition by account_id order by surveyed_at desc) = 1

),

combined as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.owner_rep_id,
        accounts.created_date,
        first_opportunities.first_opportunity_date,
        order_history.first_order_date,
        order_history.last_order_date,
        coalesce(order_history.orders, 0) as orders,
        coalesce(order_history.trailing_orders, 0) as trailing_orders,
        coalesce(product_lines.product_lines, 0) as product_lines,
        coalesce(product_lines.trailing_product_lines, 0) as trailing_product_lines,
        cast(coalesce(order_history.lifetime_revenue, 0) as decimal(38, 2)) as lifetime_revenue,
        coalesce(order_history.last_order_date > {{ as_of_date() }} - {{ active_days }}, false) as is_active,
        current_tiers.value_tier,
        latest_surveys.surveyed_at as last_surveyed_date,
        latest_surveys.score as last_satisfaction_score
    from accounts
    left join order_history
        on accounts.account_id = order_history.account_id
    left join product_lines
        on accounts.account_id = product_lines.account_id
    left join first_opportunities
        on accounts.account_id = first_opportunities.account_id
    left join current_tiers
        on accounts.account_id = current_tiers.account_id
    left join latest_surveys
        on accounts.account_id = latest_surveys.account_id

),

final as (

    select
        *,
        case
            when orders = 0 then 'acquisition'
            when not is_active then 'churned'
            when first_order_date <= {{ as_of_date() }} - {{ active_days }} then 'retention'
            when orders >= 2 or product_lines >= 2 then 'growth'
            when first_order_date > {{ as_of_date() }} - {{ var('lifecycle_conversion_days') | int }}
                then 'conversion'
            else 'service'
        end as lifecycle_stage
    from combined

)

select * from final
