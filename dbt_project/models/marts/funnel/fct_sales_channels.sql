{#-
  Lead sources and sales channels side by side. channel_type 'lead_source': the source of the
  lead an opportunity (and its orders) came from; leads and their conversion come from
  int_lead_sources (the rows of fct_lead_sources). channel_type 'sales_channel': orders.channel,
  else the account's channel; opportunities take the account's channel (both resolved in
  int_opportunity_channels and int_booked_orders). What has no source or channel counts under
  '(none)', so each channel_type adds up to the whole company. Events (int_sales_event_scopes):
  opportunities by local creation date, wins by close date, orders (non-cancelled) by order
  date, all on or before as_of_date; opportunities count for their owner and the owner's team
  and region (int_opportunities_enriched), orders for the order's rep and that rep's team and
  region at the order date, leads as in fct_lead_sources; within each scope each channel_type
  adds up to the scope's figures.
-#}
with

channel_events as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type in ('opportunity_created', 'opportunity_won', 'order_booked')

),

lead_sources as (

    select * from {{ ref('int_lead_sources') }}

),

channel_types as (

    select {{ unnest_values(["'lead_source'", "'sales_channel'"]) }} as channel_type

),

events as (

    select
        channel_events.period_type,
        channel_events.period,
        channel_events.period_start,
        channel_events.period_end,
        channel_events.level,
        channel_events.scope_id,
        channel_types.channel_type,
        case channel_types.channel_type
            when 'lead_source' then coalesce(channel_events.lead_source, '(none)')
            else coalesce(channel_events.sales_channel, '(none)')
        end as channel,
        channel_events.event_type,
        channel_events.amount_reporting
    from channel_events
    cross join channel_types

),

by_period as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        channel_type,
        channel,
        count(*) filter (where event_type = 'opportunity_created') as opportunities_created,
        count(*) filter (where event_type = 'opportunity_won') as won,
        sum(amount_reporting) filter (where event_type = 'opportunity_won') as won_amount,
        count(*) filter (where event_type = 'order_booked') as orders,
        sum(amount_reporting) filter (where event_type = 'order_booked') as revenue
    from events
    group by all

),

lead_cohorts as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        'lead_source' as channel_type,
        source as channel,
        leads,
        converted,
        lead_conversion_rate
    from lead_sources

),

keys as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        channel_type,
        channel
    from by_period

    union

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        channel_type,
        channel
    from lead_cohorts

),

final as (

    select
        keys.period_type,
        keys.period,
        keys.period_start,
        keys.period_end,
        keys.level,
        keys.scope_id,
        keys.channel_type,
        keys.channel,
        case when keys.channel_type = 'lead_source' then coalesce(lead_cohorts.leads, 0) end as leads,
        case when keys.channel_type = 'lead_source' then coalesce(lead_cohorts.converted, 0) end
            as converted_leads,
        lead_cohorts.lead_conversion_rate,
        cast(coalesce(by_period.opportunities_created, 0) as bigint) as opportunities_created,
        cast(coalesce(by_period.won, 0) as bigint) as won,
        cast(coalesce(by_period.won_amount, 0) as decimal(38, 2)) as won_amount,
        cast(coalesce(by_period.orders, 0) as bigint) as orders,
        cast(coalesce(by_period.revenue, 0) as decimal(38, 2)) as revenue
    from keys
    left join by_period
        on
            keys.period_type = by_period.period_type
            and keys.period = by_period.period
            and keys.level = by_period.level
            and keys.scope_id = by_period.scope_id
            and keys.channel_type = by_period.channel_type
            and keys.channel = by_period.channel
    left join lead_cohorts
        on
            keys.period_type = lead_cohorts.period_type
            and keys.period = lead_cohorts.period
            and keys.level = lead_cohorts.level
            and keys.scope_id = lead_cohorts.scope_id
            and keys.channel_type = lead_cohorts.channel_type
            and keys.channel = lead_cohorts.channel

)

select * from final
