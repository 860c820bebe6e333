{#-
  The channels an opportunity, and every order of it, counts under (fct_sales_channels):
  lead_source, the source of the lead it came from (its lead_id, else the lead whose
  opportunity_id names it, the lowest such lead_id); sales_channel, the channel of its account.
  Null when there is none. One row per opportunity.
-#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

lead_sources as (

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

final as (

    select
        opportunities.opportunity_id,
        lead_sources.lead_source,
        accounts.channel as sales_channel
    from opportunities
    left join lead_sources
        on opportunities.opportunity_id = lead_sources.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id

)

select * from final
