{#-
  Revenue target per (period_type, period, level, scope_id): the explicit targets row
  (metric 'revenue', product_line null) when there is one; otherwise, for a quarter, the sum of
  the explicit month targets inside it, and for a year the sum of its quarter targets (explicit,
  else rolled up from months). Partial coverage sums what exists. Company scope is always 'all'.
-#}
with

targets as (

    select * from {{ ref('stg_crm__targets') }}

),

revenue_targets as (

    select
        upper(trim(period)) as period,
        level,
        case when level = 'company' then 'all' else scope_id end as scope_id,
        target_value
    from targets
    where
        metric = 'revenue'
        and product_line is null

),

explicit as (

    select
        case
            when regexp_full_match(period, '\d{4}') then 'year'
            when regexp_full_match(period, '\d{4}Q[1-4]') then 'quarter'
            when regexp_full_match(period, '\d{4}-(0[1-9]|1[0-2])') then 'month'
        end as period_type,
        period,
        level,
        scope_id,
        sum(target_value) as revenue_target
    from revenue_targets
    group by all

),

months as (

    select * from explicit
    where period_type = 'month'

),

months_to_quarters as (

    select
        'quarter' as period_type,
        {{ period_label("cast(period || '-01' as date)", 'quarter') }} as period,
        level,
        scope_id,
        sum(revenue_target) as revenue_target
    from months
    group by all

),

quarters as (

    {{ explicit_else_rolled_up('explicit', 'months_to_quarters', 'quarter') }}

),

quarters_to_years as (

    select
        'year' as period_type,
        left(period, 4) as period,
        level,
        scope_id,
        sum(revenue_target) as revenue_target
    from quarters
    group by all

),

years as (

    {{ explicit_else_rolled_up('explicit', 'quarters_to_years', 'year') }}

),

final as (

    select
        period_type,
        period,
        level,
        scope_id,
        cast(revenue_target as decimal(18, 2)) as revenue_target,
        'explicit' as target_source
    from months

    union all

    select
        period_type,
        period,
        level,
        scope_id,
        cast(revenue_target as decimal(18, 2)) as revenue_target,
        target_source
    from quarters

    union all

    select
        period_type,
        period,
        level,
        scope_id,
        cast(revenue_target as decimal(18, 2)) as revenue_target,
        target_source
    from years

)

select * from final
