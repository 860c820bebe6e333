{#-
  Data-quality rules of family references (expectations/rules.yml) computed in dbt as of
  as_of_date: won_without_order (won more than won_without_order_days ago, no booked order
  references it), payment_for_cancelled_order (a payment, directly or through its invoice,
  for a cancelled order), parent_deleted (a current record whose parent a full export deleted
  left the current figures with it: macros/deleted_parents.sql). Rows in the shape of
  int_dq_checks, which unions the families.
-#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

known_opportunities as (

    select * from opportunities
    where created_date <= {{ as_of_date() }}

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
        'won on ' || cast(known_opportunities.close_date as {{ type_text() }}) as value_seen,
        'won on ' || cast(known_opportunities.close_date as {{ type_text() }})
        || ' (' || cast({{ date_diff('day', 'known_opportunities.close_date', as_of_date()) }} as {{ type_text() }})
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
        and {{ date_diff('day', 'known_opportunities.close_date', as_of_date()) }}
        > {{ var('won_without_order_days') | int }}
        and coalesce(orders_by_opportunity.booked_orders, 0) = 0

),

payment_for_cancelled_order as (

    select
        'payment_for_cancelled_order' as rule,
        'payments' as entity,
        payments.payment_id as record_id,
        payments.rep_id as owner_rep_id,
        case when payments.link_type = 'invoice' then 'invoice_id' else 'order_id' end as column_name,
        case
            when payments.link_type = 'invoice'
                then payments.invoice_id || ' (order ' || payments.order_id || ')'
            else payments.order_id
        end as value_seen,
        'payment of ' || cast(payments.amount as {{ type_text() }}) || ' ' || payments.currency || ' on '
        || cast(payments.paid_date as {{ type_text() }}) || ' is for order ' || payments.order_id
        || ', which is cancelled' as message
    from payments
    inner join orders
        on payments.order_id = orders.order_id
    where
        not orders.is_booked
        and payments.paid_date <= {{ as_of_date() }}

),

parent_deleted as (

    select
        'parent_deleted' as rule,
        findings.entity,
        findings.record_id,
        findings.owner_rep_id,
        findings.column_name,
        findings.value_seen,
        findings.message
    from {{ ref('stg_meta__records_left_with_parent') }} as findings

),

final as (

    select * from won_without_order
    union all
    select * from payment_for_cancelled_order
    union all
    select * from parent_deleted

)

select * from final
