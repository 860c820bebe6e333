{#-
  Potential score of each lead created on or before as_of_date, from BANT and company size:
  potential_score = lead_score_bant_points x (BANT flags set) + lead_score_size_points[size band],
  0 .. 100 with the defaults. The size band is the account's (stg_crm__accounts.size_band) when
  the lead is linked to an account through its opportunity (leads.opportunity_id, else the
  earliest opportunity naming the lead); an unknown band scores 0. Grade: hot at or above
  lead_score_hot_min, warm at or above lead_score_warm_min, else cold.
-#}
with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

opportunities_by_lead as (

    select
        lead_id,
        account_id
    from opportunities
    where lead_id is not null
    qualify row_number() over (partition by lead_id order by created_at, opportunity_id) = 1

),

linked as (

    select
        leads.*,
        coalesce(own_opportunity.account_id, opportunities_by_lead.account_id) as account_id
    from leads
    left join opportunities as own_opportunity
        on leads.opportunity_id = own_opportunity.opportunity_id
    left join opportunities_by_lead
        on leads.lead_id = opportunities_by_lead.lead_id
    where leads.created_date <= {{ as_of_date() }}

),

scored as (

    select
        linked.lead_id,
        linked.company_name,
        linked.source,
        linked.owner_rep_id,
        linked.status,
        linked.created_date,
        linked.status not in ('converted', 'disqualified')
        and linked.opportunity_id is null
        and linked.converted_at is null as is_open,
        linked.account_id,
        accounts.size_band,
        coalesce(linked.bant_budget, false) as bant_budget,
        coalesce(linked.bant_authority, false) as bant_authority,
        coalesce(linked.bant_need, false) as bant_need,
        coalesce(linked.bant_timeline, false) as bant_timeline,
        cast(coalesce(linked.bant_budget, false) as integer)
        + cast(coalesce(linked.bant_authority, false) as integer)
        + cast(coalesce(linked.bant_need, false) as integer)
        + cast(coalesce(linked.bant_timeline, false) as integer) as bant_flags,
        {{ lead_size_points('accounts.size_band') }} as size_points
    from linked
    left join accounts
        on linked.account_id = accounts.account_id

),

points as (

    select
        *,
        bant_flags * {{ var('lead_score_bant_points') | int }} as bant_points,
        bant_flags * {{ var('lead_score_bant_points') | int }} + size_points as potential_score
    from scored

),

final as (

    select
        *,
        case
            when potential_score >= {{ var('lead_score_hot_min') | int }} then 'hot'
            when potential_score >= {{ var('lead_score_warm_min') | int }} then 'warm'
            else 'cold'
        end as potential_grade
    from points

)

select * from final
