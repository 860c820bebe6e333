{#-
  Cross-entity data-quality checks computed in dbt as of as_of_date (severity warn in
  dq_findings). One row per (rule, entity, record_id, column_name). Thresholds are vars:
  stale_grace_days, won_without_order_days, bant_min_flags, outlier_robust_z,
  outlier_min_history.
-#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

receivables as (

    select * from {{ ref('int_receivables_base') }}

),

known_opportunities as (

    select * from opportunities
    where created_date <= {{ as_of_date() }}

),

stale_open_opportunity as (

    select
        'stale_open_opportunity' as rule,
        'opportunities' as entity,
        opportunity_id as record_id,
        owner_rep_id,
        'expected_close_date' as column_name,
        cast(expected_close_date as varchar) as value_seen,
        'open opportunity (stage ' || stage || ') was expected to close on '
        || cast(expected_close_date as varchar) || ', '
        || cast(date_diff('day', expected_close_date, {{ as_of_date() }}) as varchar)
        || ' days before ' || cast({{ as_of_date() }} as varchar) as message
    from known_opportunities
    where
        is_open
        and expected_close_date + to_days(cast({{ var('stale_grace_days') | int }} as integer))
        < {{ as_of_date() }}

),

orders_by_opportunity as (

    select
        opportunity_id,
        count(*) filter (where is_booked) as booked_orders,
        count(*) filter (where not is_booked) as cancelled_orders
    from orders
    where
        opportunity_id is not null
        and ordered_date <= {{ as_of_date() }}
    group by opportunity_id

),

won_without_order as (

    select
        'won_without_order' as rule,
        'opportunities' as entity,
        known_opportunities.opportunity_id as record_id,
        known_opportunities.owner_rep_id,
        'stage' as column_name,
        'won on ' || cast(known_opportunities.close_date as varchar) as value_seen,
        'won on ' || cast(known_opportunities.close_date as varchar)
        || ' (' || cast(date_diff('day', known_opportunities.close_date, {{ as_of_date() }}) as varchar)
        || ' days ago) but '
        || case
            when coalesce(orders_by_opportunity.cancelled_orders, 0) > 0
                then 'every order for it was cancelled'
            else 'no order references this opportunity'
        end as message
    from known_opportunities
    left join orders_by_opportunity
        on known_opportunities.opportunity_id = orders_by_opportunity.opportunity_id
    where
        known_opportunities.is_won
        and date_diff('day', known_opportunities.close_date, {{ as_of_date() }})
        > {{ var('won_without_order_days') | int }}
        and coalesce(orders_by_opportunity.booked_orders, 0) = 0

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
        cast(bant_flags as varchar) || ' of 4 BANT flags' as value_seen,
        'opportunity at stage ' || stage || ' comes from lead ' || lead_id || ' with only '
        || cast(bant_flags as varchar) || ' of 4 BANT flags set (minimum '
        || '{{ var("bant_min_flags") | int }})' as message
    from opportunity_leads
    where
        lead_id is not null
        and bant_flags < {{ var('bant_min_flags') | int }}

),

paid_by_order as (

    select
        order_id,
        sum(amount_order_currency) as paid
    from payments
    where
        paid_date <= {{ as_of_date() }}
        and has_order
    group by order_id

),

overpaid_order as (

    select
        'overpaid_order' as rule,
        'orders' as entity,
        receivables.order_id as record_id,
        receivables.rep_id as owner_rep_id,
        'total_amount' as column_name,
        cast(paid_by_order.paid as varchar) || ' ' || receivables.currency as value_seen,
        'payments of ' || cast(paid_by_order.paid as varchar) || ' ' || receivables.currency
        || ' exceed the amount due of ' || cast(receivables.amount_due as varchar) || ' '
        || receivables.currency as message
    from receivables
    inner join paid_by_order
        on receivables.order_id = paid_by_order.order_id
    where
        receivables.ordered_date <= {{ as_of_date() }}
        and paid_by_order.paid > receivables.amount_due

),

owner_amounts as (

    select
        opportunity_id,
        owner_rep_id,
        amount,
        currency,
        amount_reporting,
        count(*) over (partition by owner_rep_id) as owner_history,
        median(amount_reporting) over (partition by owner_rep_id) as owner_median
    from known_opportunities
    where amount_reporting is not null

),

owner_spread as (

    select
        *,
        median(abs(amount_reporting - owner_median)) over (partition by owner_rep_id) as owner_mad
    from owner_amounts

),

scored as (

    select
        *,
        cast(abs(amount_reporting - owner_median) as double)
        / (1.4826 * cast(owner_mad as double)) as robust_z
    from owner_spread
    where
        owner_history >= {{ var('outlier_min_history') | int }}
        and owner_mad > 0

),

amount_outlier as (

    select
        'amount_outlier' as rule,
        'opportunities' as entity,
        opportunity_id as record_id,
        owner_rep_id,
        'amount' as column_name,
        cast(amount as varchar) || ' ' || currency as value_seen,
        'amount ' || cast(amount_reporting as varchar) || ' ' || {{ reporting_currency() }}
        || ' is far from the owner''s median ' || cast(owner_median as varchar)
        || ' (robust z ' || cast(round(robust_z, 1) as varchar)
        || ' > {{ var("outlier_robust_z") }})' as message
    from scored
    where robust_z > {{ var('outlier_robust_z') | float }}

),

missing_fx_rate as (

    select
        'missing_fx_rate' as rule,
        'orders' as entity,
        order_id as record_id,
        rep_id as owner_rep_id,
        'currency' as column_name,
        currency as value_seen,
        'no fx rate for ' || currency || ' on or before the order date '
        || cast(ordered_date as varchar) as message
    from orders
    where
        fx_rate is null
        and ordered_date <= {{ as_of_date() }}

    union all

    select
        'missing_fx_rate' as rule,
        'payments' as entity,
        payment_id as record_id,
        rep_id as owner_rep_id,
        'currency' as column_name,
        currency as value_seen,
        'no fx rate for ' || currency || ' on or before the payment date '
        || cast(paid_date as varchar) as message
    from payments
    where
        fx_rate is null
        and paid_date <= {{ as_of_date() }}

),

final as (

    select * from stale_open_opportunity
    union all
    select * from won_without_order
    union all
    select * from bant_incomplete
    union all
    select * from overpaid_order
    union all
    select * from amount_outlier
    union all
    select * from missing_fx_rate

)

select * from final
