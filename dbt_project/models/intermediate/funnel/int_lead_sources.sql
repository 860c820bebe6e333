{#-
  Lead-source effectiveness per lead creation cohort and organisation scope: the rows
  fct_lead_sources publishes. Leads created in the period (local date <= as_of_date) by source,
  how many converted, and the rate. The leads and the scopes they count for are the
  lead_created events of int_sales_event_scopes: a lead counts for its owner (owner_rep_id) and
  for the team and region that owner was in on the lead's created_date; a lead without an owner
  counts at company level only; an owner with no team or region that day counts for the levels
  it has. The company rows hold every lead, whatever its owner. Converted: int_sales_events
  (is_converted).
-#}
with

lead_scopes as (

    select * from {{ ref('int_sales_event_scopes') }}
    where event_type = 'lead_created'

),

by_cohort as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        lead_source as source,
        count(*) as leads,
        count(*) filter (where is_converted) as converted
    from lead_scopes
    group by all

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        source,
        leads,
        converted,
        cast(converted as double) / cast(leads as double) as lead_conversion_rate
    from by_cohort

)

select * from final
