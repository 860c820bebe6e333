{#- Targets of one period type: the explicit rows of `explicit`, plus the rows of `rolled`
    (sums of finer-grained targets) for the scopes and periods with no explicit row. -#}
{% macro explicit_else_rolled_up(explicit, rolled, period_type) -%}
    select
        period_type,
        period,
        level,
        scope_id,
        revenue_target,
        'explicit' as target_source
    from {{ explicit }}
    where period_type = '{{ period_type }}'

    union all

    select
        rolled.period_type,
        rolled.period,
        rolled.level,
        rolled.scope_id,
        rolled.revenue_target,
        'rolled_up' as target_source
    from {{ rolled }} as rolled
    left join {{ explicit }} as explicit
        on
            rolled.period_type = explicit.period_type
            and rolled.period = explicit.period
            and rolled.level = explicit.level
            and rolled.scope_id = explicit.scope_id
    where explicit.period is null
{%- endmacro %}
