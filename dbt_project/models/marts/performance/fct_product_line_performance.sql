{#-
  Published from int_product_line_performance, which computes it: fct_targets reads the same
  rows there (a mart reads staging and intermediate models only).
-#}
with

product_line_performance as (

    select * from {{ ref('int_product_line_performance') }}

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        level,
        scope_id,
        product_line,
        revenue,
        units,
        orders,
        revenue_target,
        revenue_attainment,
        units_target,
        units_attainment
    from product_line_performance

)

select * from final
