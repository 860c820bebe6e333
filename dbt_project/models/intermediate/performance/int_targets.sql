{#-
  Target per (period_type, period, level, scope_id, metric, product_line), every metric of the
  contract (revenue, bookings, collections, new_customers, units, visits, proposals, quotes): the explicit
  targets row when there is one; otherwise, for a quarter, the sum of the explicit month
  targets inside it, and for a year the sum of its quarter targets (explicit, else rolled up
  from months). Partial coverage sums what exists. Company scope is always 'all';
  product_line null = all product lines. Quarters and years follow fiscal_year_start_month.
-#}
with

targets as (

    select * from {{ ref('stg_crm__targets') }}

),

normalised as (

    select
        upper(trim(period)) as period,
        level,
        case when level = 'company' then 'all' else scope_id end as scope_id,
        metric,
        product_line,
        target_value
    from targets

),

explicit as (

    select
        {{ period_type_of_label('period') }} as period_type,
        period,
        level,
        scope_id,
        metric,
        product_line,
        sum(target_value) as target_value
    from normalised
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
        metric,
        product_line,
        sum(target_value) as target_value
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
        metric,
        product_line,
        sum(target_value) as target_value
    from quarters
    group by all

),

years as (

    {{ explicit_else_rolled_up('explicit', 'quarters_to_years', 'year') }}

),

all_targets as (

    select
        *,
        'explicit' as target_source
    from months

    union all

    select * from quarters

    union all

    select * from years

),

final as (

    select
        period_type,
        period,
        level,
        scope_id,
        metric,
        product_line,
        cast(target_value as decimal(38, 2)) as target_value,
        target_source
    from all_targets

)

select * from final
