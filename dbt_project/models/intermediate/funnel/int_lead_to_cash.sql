{#-
  Each lead's way to cash: one row per lead created on or before as_of_date, with the date it
  reached each step of lead -> opportunity -> won -> ordered -> paid (null when not reached by
  as_of_date). Each step needs the one before it:
    opportunity  the earliest created_date of the lead's opportunities (those naming it in
                 lead_id, and the one the lead names in opportunity_id) created by as_of_date
    won          the earliest close_date of those opportunities won, closed by as_of_date
    ordered      the earliest ordered_date of the booked (not cancelled) orders of those won
                 opportunities, ordered by as_of_date
    paid         the earliest date on which one of those orders was paid in full: its payments
                 (in the order currency, paid by as_of_date) add up to its amount due
                 (int_receivables_base), as fct_order_chain's fully_paid_date
  A lead marked converted without an opportunity it or the opportunity names has not reached
  the opportunity step here (fct_lead_sources counts it as converted).
-#}
with

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

receivables as (

    select * from {{ ref('int_receivables_base') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

cohort as (

    select
        lead_id,
        created_date,
        opportunity_id
    from leads
    where created_date <= {{ as_of_date() }}

),

lead_opportunities as (

    select distinct
        cohort.lead_id,
        opportunities.opportunity_id,
        opportunities.created_date,
        opportunities.is_won,
        opportunities.close_date
    from cohort
    inner join opportunities
        on
            cohort.lead_id = opportunities.lead_id
            or cohort.opportunity_id = opportunities.opportunity_id
    where opportunities.created_date <= {{ as_of_date() }}

),

won_opportunities as (

    select *
    from lead_opportunities
    where
        is_won
        and close_date <= {{ as_of_date() }}

),

lead_orders as (

    select
        won_opportunities.lead_id,
        orders.order_id,
        orders.ordered_date
    from won_opportunities
    inner join orders
        on won_opportunities.opportunity_id = orders.opportunity_id
    where
        orders.is_booked
        and orders.ordered_date <= {{ as_of_date() }}

),

paid_running as (

    select
        payments.order_id,
        payments.paid_date,
        sum(payments.amount_order_currency) over (
            partition by payments.order_id
            order by payments.paid_at, payments.payment_id
            rows between unbounded preceding and current row
        ) as paid_to_date
    from payments
    where
        payments.has_order
        and payments.paid_date <= {{ as_of_date() }}

),

fully_paid as (

    select
        paid_running.order_id,
        min(paid_running.paid_date) as fully_paid_date
    from paid_running
    inner join receivables
        on paid_running.order_id = receivables.order_id
    where paid_running.paid_to_date >= receivables.amount_due
    group by paid_running.order_id

),

steps as (

    select
        cohort.lead_id,
        cohort.created_date as lead_date,
        (
            select min(lead_opportunities.created_date) from lead_opportunities
            where lead_opportunities.lead_id = cohort.lead_id
        ) as opportunity_date,
        (
            select min(won_opportunities.close_date) from won_opportunities
            where won_opportunities.lead_id = cohort.lead_id
        ) as won_date,
        (
            select min(lead_orders.ordered_date) from lead_orders
            where lead_orders.lead_id = cohort.lead_id
        ) as ordered_date,
        (
            select min(fully_paid.fully_paid_date)
            from lead_orders
            inner join fully_paid
                on lead_orders.order_id = fully_paid.order_id
            where lead_orders.lead_id = cohort.lead_id
        ) as paid_date
    from cohort

),

final as (

    select * from steps

)

select * from final
