{#-
  Revenue targets (metric 'revenue', all product lines) of int_targets, under the column names
  the revenue consumers read. Roll-up rules: int_targets.
-#}
with

targets as (

    select * from {{ ref('int_targets') }}

),

final as (

    select
        period_type,
        period,
        level,
        scope_id,
        target_value as revenue_target,
        target_source
    from targets
    where
        metric = 'revenue'
        and product_line is null

)

select * from final
