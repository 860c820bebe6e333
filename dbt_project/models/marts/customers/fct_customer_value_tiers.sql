{#-
  Published from int_customer_value_tiers, which computes it: fct_customer_lifecycle reads the same
  rows there (a mart reads staging and intermediate models only).
-#}
with

customer_value_tiers as (

    select * from {{ ref('int_customer_value_tiers') }}

),

final as (

    select
        level,
        scope_id,
        period_type,
        period,
        period_start,
        period_end,
        measure_date,
        account_id,
        trailing_revenue,
        scope_trailing_revenue,
        revenue_rank,
        revenue_share,
        cumulative_share,
        value_tier
    from customer_value_tiers

)

select * from final
