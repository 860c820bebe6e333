{#-
  The orders that count as sales (revenue, orders, new customers, the customer marts): not
  cancelled (int_orders_enriched.is_booked) and ordered on or before as_of_date (local order
  date), with the channels they count under: sales_channel, the order's own channel, else its
  account's; lead_source, the lead source of its opportunity (int_opportunity_channels). Null
  when there is none. One row per order.
-#}
with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

opportunity_channels as (

    select * from {{ ref('int_opportunity_channels') }}

),

booked as (

    select * from orders
    where
        is_booked
        and ordered_date <= {{ as_of_date() }}

),

final as (

    select
        booked.order_id,
        booked.account_id,
        booked.opportunity_id,
        booked.rep_id,
        booked.team,
        booked.region,
        booked.ordered_at,
        booked.ordered_date,
        booked.status,
        booked.currency,
        booked.total_amount,
        booked.fx_rate,
        booked.total_amount_reporting,
        booked.is_first_order,
        coalesce(nullif(trim(booked.channel), ''), accounts.channel) as sales_channel,
        opportunity_channels.lead_source
    from booked
    left join accounts
        on booked.account_id = accounts.account_id
    left join opportunity_channels
        on booked.opportunity_id = opportunity_channels.opportunity_id

)

select * from final
