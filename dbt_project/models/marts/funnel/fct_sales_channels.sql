{#-
  Lead sources and sales channels side by side. channel_type 'lead_source': the source of the
  lead an opportunity (and its orders) came from (opportunities.lead_id, else the lead whose
  opportunity_id names it); leads and their conversion come from int_lead_sources.
  channel_type 'sales_channel': orders.channel, else the account's channel; opportunities
  take the account's channel. What has no source or channel counts under '(none)', so each
  channel_type adds up to the whole company. Events: opportunities by local creation date,
  wins by close date, orders (non-cancelled) by order date, all on or before as_of_date.
  Scopes (macro scope_levels): opportunities count for their owner and the owner's team and
  region (int_opportunities_enriched), orders for the scopes of int_order_scopes, leads as in
  int_lead_sources; within each scope each channel_type adds up to the scope's figures.
-#}
with

levels as (

    {{ scope_levels() }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

lead_sources as (

    select * from {{ ref('int_lead_sources') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

order_scopes as (

    select * from {{ ref('int_order_scopes') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

opportunity_sources as (

    select
        opportunities.opportunity_id,
        coalesce(by_lead_id.source, by_opportunity_id.source) as lead_source
    from opportunities
    left join leads as by_lead_id
        on opportunities.lead_id = by_lead_id.lead_id
    left join leads as by_opportunity_id
        on opportunities.opportunity_id = by_opportunity_id.opportunity_id
    qualify row_number() over (
        partition by opportunities.opportunity_id
        order by by_opportunity_id.lead_id
    ) = 1

),

opportunity_channels as (

    select
        opportunities.opportunity_id,
        opportunities.owner_rep_id,
        opportunities.team,
        opportunities.region,
        opportunities.created_date,
        opportunities.is_won,
        opportunities.close_date,
        opportunities.amount_reporting,
        coalesce(opportunity_sources.lead_source, '(none)') as lead_source,
        coalesce(accounts.channel, '(none)') as sales_channel
    from opportunities
    left join opportunity_sources
        on opportunities.opportunity_id = opportunity_sources.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id

),

order_channels as (

    select
        orders.order_id,
        orders.ordered_date,
        orders.total_amount_reporting,
        coalesce(opportunity_sources.lead_source, '(none)') as lead_source,
        coalesce(nullif(trim(orders.channel), ''), accounts.channel, '(none)') as sales_channel
    from orders
    left join opportunity_sources
        on orders.opportunity_id = opportunity_sources.opportunity_id
    left join accounts
        on orders.account_id = accounts.account_id
    where
        orders.is_booked
        and orders.ordered_date <= {{ as_of_date() }}

),

scoped_opportunities as (

    select
        opportunity_channels.*,
        levels.level,
        {{ scope_id_for(
            'levels.level',
            'opportunity_channels.owner_rep_id',
            'opportunity_channels.team',
            'opportunity_channels.region'
        ) }} as scope_id
    from opportunity_channels
    cross join levels

),

scoped_orders as (

    select
        order_channels.*,
        order_scopes.level,
        order_scopes.scope_id
    from order_channels
    inner join order_scopes
        on order_channels.order_id = order_scopes.order_id

),

channel_types as (

    select unnest(['lead_source', 'sales_channel']) as channel_type

),

events as (

    select
        scoped_opportunities.level,
        scoped_opportunities.scope_id,
        channel_types.channel_type,
        case channel_types.channel_type
            when 'lead_source' then scoped_opportunities.lead_source
            else scoped_opportunities.sales_channel
        end as channel,
        scoped_opportunities.created_date as event_date,
        1 as opportunities_created,
        0 as won,
        cast(null as decimal(18, 2)) as won_amount,
        0 as orders,
        cast(null as decimal(18, 2)) as revenue
    from scoped_opportunities
    cross join channel_types
    where
        scoped_opportunities.scope_id is not null
        and scoped_opportunities.created_date <= {{ as_of_date() }}

    union all

    select
        scoped_opportunities.level,
        scoped_opportunities.scope_id,
        channel_types.channel_type,
        case channel_types.channel_type
            when 'lead_source' then scoped_opportunities.lead_source
            else scoped_opportunities.sales_channel
        end as channel,
        scoped_opportunities.close_date as event_date,
        0 as opportunities_created,
        1 as won,
        scoped_opportunities.amount_reporting as won_amount,
        0 as orders,
        cast(null as decimal(18, 2)) as revenue
    from scoped_opportunities
    cross join channel_types
    where
        scoped_opportunities.scope_id is not null
        and scoped_opportunities.is_won
        and scoped_opportunities.close_date <= {{ as_of_date() }}

    union all

    select
        scoped_orders.level,
        scoped_orders.scope_id,
        channel_types.channel_type,
        case channel_types.channel_type
            when 'lead_source' then scoped_orders.lead_source
            else scoped_orders.sales_channel
        end as channel,
        scoped_orders.ordered_date as event_date,
        0 as opportunities_created,
        0 as won,
        cast(null as decimal(18, 2)) as won_amount,
        1 as orders,
        scoped_orders.total_amount_reporting as revenue
    from scoped_orders
    cross join channel_types

),

by_period as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        events.level,
        events.scope_id,
        events.channel_type,
        events.channel,
        sum(events.opportunities_created) as opportunities_created,
        sum(events.won) as won,
        sum(events.won_amount) as won_amount,
        sum(events.orders) as orders,
        sum(events.revenue) as revenue
    from events
    inner join periods
        on events.event_date between periods.period_start and periods.period_end
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
        cast(coalesce(by_period.won_amount, 0) as decimal(18, 2)) as won_amount,
        cast(coalesce(by_period.orders, 0) as bigint) as orders,
        cast(coalesce(by_period.revenue, 0) as decimal(18, 2)) as revenue
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
