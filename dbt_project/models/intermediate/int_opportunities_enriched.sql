{#-
  Opportunities with the owner's team and region, the close date used for attribution
  (closed_at, or last_modified_at when a won/lost deal lacks closed_at), the amount in the
  reporting currency (rate of the close date when closed, else of the creation date) and the
  stage probability from var stage_probabilities.
-#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

sales_reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

classified as (

    select
        opportunities.*,
        sales_reps.team,
        sales_reps.region,
        opportunities.stage = 'won' as is_won,
        opportunities.stage = 'lost' as is_lost,
        opportunities.stage not in ('won', 'lost') as is_open,
        case
            when opportunities.stage in ('won', 'lost')
                then coalesce(opportunities.closed_at, opportunities.last_modified_at)
        end as close_at
    from opportunities
    left join sales_reps
        on opportunities.owner_rep_id = sales_reps.rep_id

),

dated as (

    select
        *,
        {{ local_date('close_at') }} as close_date,
        coalesce({{ local_date('close_at') }}, created_date) as valuation_date
    from classified

),

converted as (

    select
        dated.opportunity_id,
        dated.account_id,
        dated.owner_rep_id,
        dated.team,
        dated.region,
        dated.name,
        dated.lead_id,
        dated.product_line,
        dated.stage,
        dated.is_open,
        dated.is_won,
        dated.is_lost,
        dated.created_at,
        dated.created_date,
        dated.expected_close_date,
        dated.closed_at,
        dated.last_modified_at,
        dated.last_modified_date,
        dated.close_at,
        dated.close_date,
        dated.valuation_date,
        dated.currency,
        dated.amount,
        fx.rate_to_reporting as fx_rate,
        {{ to_reporting('dated.amount', 'fx.rate_to_reporting') }} as amount_reporting,
        {{ stage_probability('dated.stage') }} as stage_probability,
        date_diff('second', dated.created_at, dated.close_at) as sales_cycle_seconds,
        date_diff('second', dated.created_at, dated.close_at) / 86400.0 as sales_cycle_days
    from dated
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'dated.currency', 'dated.valuation_date') }}

),

final as (

    select
        *,
        case
            when is_open then cast(round(amount_reporting * stage_probability, 2) as decimal(18, 2))
        end as weighted_amount_reporting
    from converted

)

select * from final
