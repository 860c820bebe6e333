{#-
  Sales and marketing spend per (period_type, period, level, scope_id, channel) in the
  reporting currency: the numerator of CAC (fct_customer_acquisition adds the channels up for
  the all-channel CAC). channel is the row's channel trimmed and lower-cased (so 'Events' and
  'events ' are one channel), null for a row without one. Each spend row converts at the latest
  fx rate on or before the last day of its period (int_fx_rates); a row without a rate is
  counted in unpriced_rows and leaves spend_reporting null (a partial sum would understate
  CAC). Like targets (int_targets): a quarter without rows of its own (of any channel) takes
  the sum of its months' rows, a year the sum of its quarters' (explicit, else rolled up);
  spend_source says which, the same for every channel of a scope and period, so the channels
  add up to the all-channel spend. Company scope is always 'all'. Spend counts for the scope
  its row names: it is not rolled up across levels. Quarters and years follow fiscal_year_start_month.
-#}
with

spend as (

    select * from {{ ref('stg_finance__marketing_spend') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

normalised as (

    select
        {{ period_type_of_label('upper(trim(period))') }} as period_type,
        upper(trim(period)) as period,
        level,
        case when level = 'company' then 'all' else scope_id end as scope_id,
        nullif(lower(trim(channel)), '') as channel,
        amount,
        currency
    from spend

),

dated as (

    select
        *,
        {{ period_start_of_typed_label('period', 'period_type') }} as period_start
    from normalised
    where period_type is not null

),

ended as (

    select
        *,
        {{ period_end_of_typed_start('period_start', 'period_type') }} as period_end
    from dated

),

rated as (

    select
        ended.period_type,
        ended.period,
        ended.level,
        ended.scope_id,
        ended.channel,
        {{ to_reporting('ended.amount', 'fx.rate_to_reporting') }} as amount_reporting
    from ended
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'ended.currency', 'ended.period_end') }}

),

explicit as (

    select
        period_type,
        period,
        level,
        scope_id,
        channel,
        sum(amount_reporting) as amount_reporting,
        count(*) - count(amount_reporting) as unpriced_rows,
        'explicit' as spend_source
    from rated
    group by period_type, period, level, scope_id, channel

),

months_to_quarters as (

    select
        'quarter' as period_type,
        {{ period_label("cast(period || '-01' as date)", 'quarter') }} as period,
        level,
        scope_id,
        channel,
        sum(amount_reporting) as amount_reporting,
        sum(unpriced_rows) as unpriced_rows,
        'rolled_up' as spend_source
    from explicit
    where period_type = 'month'
    group by all

),

quarters as (

    select * from explicit
    where period_type = 'quarter'

    union all

    select rolled.*
    from months_to_quarters as rolled
    where not exists (
        select 1
        from explicit
        where
            explicit.period_type = 'quarter'
            and rolled.period = explicit.period
            and rolled.level = explicit.level
            and rolled.scope_id = explicit.scope_id
    )

),

quarters_to_years as (

    select
        'year' as period_type,
        left(period, 4) as period,
        level,
        scope_id,
        channel,
        sum(amount_reporting) as amount_reporting,
        sum(unpriced_rows) as unpriced_rows,
        'rolled_up' as spend_source
    from quarters
    group by all

),

years as (

    select * from explicit
    where period_type = 'year'

    union all

    select rolled.*
    from quarters_to_years as rolled
    where not exists (
        select 1
        from explicit
        where
            explicit.period_type = 'year'
            and rolled.period = explicit.period
            and rolled.level = explicit.level
            and rolled.scope_id = explicit.scope_id
    )

),

all_spend as (

    select * from explicit
    where period_type = 'month'

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
        channel,
        case when unpriced_rows = 0 then cast(amount_reporting as decimal(38, 2)) end as spend_reporting,
        cast(unpriced_rows as bigint) as unpriced_rows,
        spend_source
    from all_spend

)

select * from final
