{#-
  Every dated sales event the period marts count, with the organisation it counts for: one row
  per (event_type, event_id). Only events with local date on or before as_of_date.

  event_type           event_id        event_date     rep_id                 team and region at
  lead_created         lead_id         created_date   owner_rep_id           created_date
  opportunity_created  opportunity_id  created_date   owner_rep_id           attribution date (1)
  opportunity_won      opportunity_id  close_date     owner_rep_id           close date (1)
  opportunity_lost     opportunity_id  close_date     owner_rep_id           close date (1)
  order_booked         order_id        ordered_date   rep on the order       order date (2)
  payment_received     payment_id      paid_date      rep on its order       order date (2)
  activity             activity_id     occurred_date  rep_id                 occurred date

  (1) as int_opportunities_enriched resolves them (close date, or as_of_date while open);
  (2) as int_orders_enriched resolves them (a payment counts for its order's rep, team and
  region, as int_payments_enriched carries them); order_booked rows are int_booked_orders (not
  cancelled). Team and region are the rep's hierarchy row with valid_from <= date < valid_to
  (macro rep_history_at); null when the rep has none that day. Measures: amount_reporting (the
  opportunity amount, the order total, the payment), units (sum of the order's line
  quantities), is_first_order, sales_cycle_seconds (closed opportunities), activity_type,
  is_converted (leads: converted by as_of_date; a dated conversion counts only if it happened by
  then, an undated one as soon as it is seen), lead_source (a lead's own source; the lead source
  of an opportunity or of an order's opportunity) and sales_channel (the account's channel of an
  opportunity; an order's channel, else its account's).
-#}
with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

opportunity_channels as (

    select * from {{ ref('int_opportunity_channels') }}

),

booked_orders as (

    select * from {{ ref('int_booked_orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

activities as (

    select * from {{ ref('int_activities') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

lead_events as (

    select
        'lead_created' as event_type,
        leads.lead_id as event_id,
        leads.created_date as event_date,
        leads.owner_rep_id as rep_id,
        rep_history.team,
        rep_history.region,
        cast(null as decimal(38, 2)) as amount_reporting,
        cast(null as decimal(38, 6)) as units,
        cast(null as boolean) as is_first_order,
        cast(null as bigint) as sales_cycle_seconds,
        cast(null as {{ type_text() }}) as activity_type,
        case
            when leads.converted_at is not null then leads.converted_date <= {{ as_of_date() }}
            else coalesce(leads.status = 'converted' or leads.opportunity_id is not null, false)
        end as is_converted,
        leads.source as lead_source,
        cast(null as {{ type_text() }}) as sales_channel
    from leads
    left join rep_history
        on {{ rep_history_at('rep_history', 'leads.owner_rep_id', 'leads.created_date') }}
    where leads.created_date <= {{ as_of_date() }}

),

opportunity_dates as (

    select
        'opportunity_created' as event_type,
        opportunity_id,
        created_date as event_date
    from opportunities
    where created_date <= {{ as_of_date() }}

    union all

    select
        case when is_won then 'opportunity_won' else 'opportunity_lost' end as event_type,
        opportunity_id,
        close_date as event_date
    from opportunities
    where
        (is_won or is_lost)
        and close_date <= {{ as_of_date() }}

),

opportunity_events as (

    select
        opportunity_dates.event_type,
        opportunities.opportunity_id as event_id,
        opportunity_dates.event_date,
        opportunities.owner_rep_id as rep_id,
        opportunities.team,
        opportunities.region,
        opportunities.amount_reporting,
        cast(null as decimal(38, 6)) as units,
        cast(null as boolean) as is_first_order,
        case
            when opportunity_dates.event_type != 'opportunity_created' then opportunities.sales_cycle_seconds
        end as sales_cycle_seconds,
        cast(null as {{ type_text() }}) as activity_type,
        cast(null as boolean) as is_converted,
        opportunity_channels.lead_source,
        opportunity_channels.sales_channel
    from opportunity_dates
    inner join opportunities
        on opportunity_dates.opportunity_id = opportunities.opportunity_id
    left join opportunity_channels
        on opportunity_dates.opportunity_id = opportunity_channels.opportunity_id

),

order_units as (

    select
        order_id,
        sum(quantity) as units
    from order_lines
    group by order_id

),

order_events as (

    select
        'order_booked' as event_type,
        booked_orders.order_id as event_id,
        booked_orders.ordered_date as event_date,
        booked_orders.rep_id,
        booked_orders.team,
        booked_orders.region,
        booked_orders.total_amount_reporting as amount_reporting,
        order_units.units,
        booked_orders.is_first_order,
        cast(null as bigint) as sales_cycle_seconds,
        cast(null as {{ type_text() }}) as activity_type,
        cast(null as boolean) as is_converted,
        booked_orders.lead_source,
        booked_orders.sales_channel
    from booked_orders
    left join order_units
        on booked_orders.order_id = order_units.order_id

),

payment_events as (

    select
        'payment_received' as event_type,
        payments.payment_id as event_id,
        payments.paid_date as event_date,
        payments.rep_id,
        payments.team,
        payments.region,
        payments.amount_reporting,
        cast(null as decimal(38, 6)) as units,
        cast(null as boolean) as is_first_order,
        cast(null as bigint) as sales_cycle_seconds,
        cast(null as {{ type_text() }}) as activity_type,
        cast(null as boolean) as is_converted,
        cast(null as {{ type_text() }}) as lead_source,
        cast(null as {{ type_text() }}) as sales_channel
    from payments
    where payments.paid_date <= {{ as_of_date() }}

),

activity_events as (

    select
        'activity' as event_type,
        activities.activity_id as event_id,
        activities.occurred_date as event_date,
        activities.rep_id,
        rep_history.team,
        rep_history.region,
        cast(null as decimal(38, 2)) as amount_reporting,
        cast(null as decimal(38, 6)) as units,
        cast(null as boolean) as is_first_order,
        cast(null as bigint) as sales_cycle_seconds,
        activities.type as activity_type,
        cast(null as boolean) as is_converted,
        cast(null as {{ type_text() }}) as lead_source,
        cast(null as {{ type_text() }}) as sales_channel
    from activities
    left join rep_history
        on {{ rep_history_at('rep_history', 'activities.rep_id', 'activities.occurred_date') }}
    where activities.occurred_date <= {{ as_of_date() }}

),

final as (

    select * from lead_events
    union all
    select * from opportunity_events
    union all
    select * from order_events
    union all
    select * from payment_events
    union all
    select * from activity_events

)

select * from final
