{#-
  Published from int_target_checks, which computes it: the data-quality rules
  target_not_adding_up and target_unreasonable (int_dq_checks_amounts) read the same rows
  there (a mart reads staging and intermediate models only).
-#}
with

target_checks as (

    select * from {{ ref('int_target_checks') }}

),

final as (

    select
        period_type,
        period,
        period_start,
        level,
        scope_id,
        metric,
        product_line,
        target_value,
        target_source,
        actual,
        attainment,
        child_level,
        child_targets,
        child_target_sum,
        add_up_status,
        period_child_type,
        period_child_targets,
        period_child_target_sum,
        period_add_up_status,
        last_quarter_actual,
        four_quarters_ago_actual,
        trend_quarterly_growth,
        trailing_four_quarters_actual,
        trend_value,
        is_judged,
        is_unreasonable
    from target_checks

)

select * from final
