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

    select 'company' as level
    union all
    select 'region' as level
    union all
    select 'team' as level
    union all
    select 'rep' as level

),

scoped as (

    select
        orders.order_id,
        levels.level,
        case levels.level
            when 'company' then 'all'
            when 'region' then orders.region
            when 'team' then orders.team
            when 'rep' then orders.rep_id
        end as scope_id
    from orders
    cross join levels

),

final as (

    select * from scoped
    where scope_id is not null

)

select * from final
