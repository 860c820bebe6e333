{#-
  The product lines each order sold: the product_line of the products on its order lines;
  an order without lines takes the product_line of its opportunity, when it has one.
-#}
with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_enriched') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

from_lines as (

    select distinct
        order_id,
        product_line
    from order_lines
    where product_line is not null

),

orders_with_lines as (

    select distinct order_id from order_lines

),

from_opportunity as (

    select
        orders.order_id,
        opportunities.product_line
    from orders
    inner join opportunities
        on orders.opportunity_id = opportunities.opportunity_id
    where
        opportunities.product_line is not null
        and orders.order_id not in (select orders_with_lines.order_id from orders_with_lines)

),

final as (

    select * from from_lines
    union
    select * from from_opportunity

)

select * from final
