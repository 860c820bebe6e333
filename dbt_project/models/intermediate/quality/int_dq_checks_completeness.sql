{#-
  Data-quality rules of family completeness (expectations/rules.yml) computed in dbt as of
  as_of_date: bant_incomplete (an opportunity, not lost, from a lead with fewer than
  bant_min_flags true BANT flags), activity_unlinked (an activity with neither account_id nor
  opportunity_id). Rows in the shape of int_dq_checks, which unions the families.
-#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

activities as (

    select {{ star_except('processed_load_id') }} from {{ ref('int_activities') }}

),

known_opportunities as (

    select * from opportunities
    where created_date <= {{ as_of_date() }}

),

lead_flags as (

    select
        lead_id,
        opportunity_id,
        cast(coalesce(bant_budget, false) as integer)
        + cast(coalesce(bant_authority, false) as integer)
        + cast(coalesce(bant_need, false) as integer)
        + cast(coalesce(bant_timeline, false) as integer) as bant_flags
    from leads

),

opportunity_leads as (

    select
        known_opportunities.opportunity_id,
        known_opportunities.owner_rep_id,
        known_opportunities.stage,
        coalesce(by_lead_id.lead_id, by_opportunity_id.lead_id) as lead_id,
        coalesce(by_lead_id.bant_flags, by_opportunity_id.bant_flags) as bant_flags
    from known_opportunities
    left join lead_flags as by_lead_id
        on known_opportunities.lead_id = by_lead_id.lead_id
    left join lead_flags as by_opportunity_id
        on known_opportunities.opportunity_id = by_opportunity_id.opportunity_id
    where known_opportunities.stage != 'lost'
    qualify row_number() over (
        partition by known_opportunities.opportunity_id
        order by by_opportunity_id.lead_id
    ) = 1

),

bant_incomplete as (

    select
        'bant_incomplete' as rule,
        'opportunities' as entity,
        opportunity_id as record_id,
        owner_rep_id,
        'lead_id' as column_name,
        cast(bant_flags as {{ type_text() }}) || ' of 4 BANT flags' as value_seen,
        'opportunity at stage ' || stage || ' comes from lead ' || lead_id || ' with only '
        || cast(bant_flags as {{ type_text() }}) || ' of 4 BANT flags set (minimum '
        || '{{ var("bant_min_flags") | int }})' as message
    from opportunity_leads
    where
        lead_id is not null
        and bant_flags < {{ var('bant_min_flags') | int }}

),

activity_unlinked as (

    select
        'activity_unlinked' as rule,
        'activities' as entity,
        activity_id as record_id,
        rep_id as owner_rep_id,
        'account_id' as column_name,
        '' as value_seen,
        type || ' on ' || cast(occurred_date as {{ type_text() }})
        || ' names neither an account nor an opportunity' as message
    from activities
    where
        account_id is null
        and opportunity_id is null
        and occurred_date <= {{ as_of_date() }}

),

final as (

    select * from bant_incomplete
    union all
    select * from activity_unlinked

)

select * from final
