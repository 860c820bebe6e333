{#-
  The organisation scopes an order counts for: the company ('all'), the region and team of the
  order's rep, and the rep. Team and region come from int_orders_enriched (the rep's record as
  that model resolves it), so the receivables and customer marts switch rep -> team mapping in
  one place. Orders whose rep has no team or region only count for the levels they have.
-#}
with

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

levels as (

    {{ scope_levels() }}

),

scoped as (

    select
        orders.order_id,
        levels.level,
        {{ scope_id_for('levels.level', 'orders.rep_id', 'orders.team', 'orders.region') }} as scope_id
    from orders
    cross join levels

),

final as (

    select * from scoped
    where scope_id is not null

)

select * from final
