{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='snapshot_date',
        on_schema_change='fail',
        tags=['incremental_fact']
    )
}}
{#-
  The pipeline as it stood at the end of each business day, rebuilt from the version history
  of opportunities, orders and reps (stg_*_versions: the versions valid on that day, i.e.
  loaded by then), so a past day reads as it was reported. An order version without an
  exported total counts with the order's current amount (int_orders_enriched: the sum of its
  current lines). Days run from the first load's
  business date to as_of_date (or var history_as_of_date when earlier). Incremental: a run
  computes again the last day it holds (a second load on that business date may have changed
  it) and adds the days after it; a full build computes every day the same way, from the
  versions and fx rates known at that build.
  The company row exists every day (zeros when nothing is open); other scopes when they hold
  open pipeline or booked revenue that day. Published as fct_pipeline_snapshots (a view) and read by
  the forecast marts (their pipeline forecast), so no mart reads another mart.
-#}
{#- Upgrade from the release in which the mart fct_pipeline_snapshots held this history itself
    (a table; it is now a view of this model): on the first build (no int_pipeline_snapshots
    yet) that table is the previous state: the days it holds are kept as they were reported,
    and only the last of them and the days after it are computed, as an incremental run would.
    A rebuild from the version history would differ for past days (fx quotes and backfilled
    loads arrive later). -#}
{%- set legacy_snapshots = none -%}
{%- if execute and not is_incremental() -%}
    {%- set legacy = adapter.get_relation(
        database=this.database, schema=generate_schema_name('marts', model),
        identifier='fct_pipeline_snapshots'
    ) -%}
    {%- if legacy is not none and legacy.type == 'table' -%}
        {%- set legacy_snapshots = legacy -%}
    {%- endif -%}
{%- endif -%}
{%- set previous_snapshots = this if is_incremental() else legacy_snapshots -%}
{%- set snapshot_columns = [
    'snapshot_date',
    'level',
    'scope_id',
    'open_opportunities',
    'open_pipeline',
    'weighted_pipeline',
    'current_quarter',
    'current_quarter_open_pipeline',
    'current_quarter_weighted_pipeline',
    'current_quarter_revenue_target',
    'current_quarter_revenue_booked',
    'next_quarter',
    'next_quarter_open_pipeline',
    'next_quarter_weighted_pipeline',
    'next_quarter_revenue_target',
    'current_quarter_remaining_target',
    'current_quarter_coverage',
    'next_quarter_coverage',
    'next_quarter_commit_pipeline',
    'next_quarter_best_case_pipeline'
] -%}
{#- Columns added after the legacy table was written (the last ones): null for the days it
    holds. -#}
{%- set added_columns = ['next_quarter_commit_pipeline', 'next_quarter_best_case_pipeline'] -%}
with

levels as (

    {{ scope_levels() }}

),

loads as (

    select * from {{ ref('stg_meta__loads') }}

),

opportunity_versions as (

    select * from {{ ref('stg_crm__opportunity_versions') }}

),

order_versions as (

    select * from {{ ref('stg_erp__order_versions') }}

),

rep_versions as (

    select * from {{ ref('stg_crm__sales_rep_versions') }}

),

-- the current amount of each order (int_orders_enriched.total_amount: the sum of its lines
-- when exported without a total): the amount of an order version without an exported total.
-- Lines have no version history here, so such an order counts with its current lines.
current_orders as (

    select
        order_id,
        total_amount
    from {{ ref('int_orders_enriched') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

revenue_targets as (

    select * from {{ ref('int_revenue_targets') }}

),

bounds as (

    select
        min(as_of_date) as first_day,
        {%- if var('history_as_of_date', none) %}
        least({{ as_of_date() }}, {{ history_as_of_date() }}) as last_day
        {%- else %}
        {{ as_of_date() }} as last_day
        {%- endif %}
    from loads
    {%- if var('history_as_of_date', none) %}
    where as_of_date <= {{ history_as_of_date() }}
    {%- endif %}

),

days as (

    select {{ date_series('first_day', 'last_day', 'interval 1 day') }} as snapshot_date
    from bounds
    where first_day <= last_day

),

new_days as (

    select
        snapshot_date,
        {{ period_label('snapshot_date', 'quarter') }} as current_quarter,
        {{ period_start('snapshot_date', 'quarter') }} as current_quarter_start,
        {{ period_label(
            'cast(' ~ period_start('snapshot_date', 'quarter') ~ ' + interval 3 month as date)', 'quarter'
        ) }} as next_quarter
    from days
    {%- if previous_snapshots is not none %}
    where
        snapshot_date >= (
            select coalesce(max(previous.snapshot_date), cast('0001-01-01' as date))
            from {{ previous_snapshots }} as previous
        )
    {%- endif %}

),

open_on_day as (

    select
        new_days.snapshot_date,
        new_days.current_quarter,
        new_days.next_quarter,
        opportunity_versions.opportunity_id,
        opportunity_versions.owner_rep_id as rep_id,
        rep_versions.team,
        rep_versions.region,
        {{ period_label('opportunity_versions.expected_close_date', 'quarter') }} as close_quarter,
        {{ to_reporting('opportunity_versions.amount', 'fx.rate_to_reporting') }} as amount_reporting,
        opportunity_versions.stage,
        opportunity_versions.forecast_category
    from new_days
    inner join opportunity_versions
        on
            {{ valid_on('opportunity_versions', 'new_days.snapshot_date') }}
            and opportunity_versions.created_date <= new_days.snapshot_date
            and opportunity_versions.stage not in ('won', 'lost')
    left join rep_versions
        on
            opportunity_versions.owner_rep_id = rep_versions.rep_id
            and {{ valid_on('rep_versions', 'new_days.snapshot_date') }}
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'opportunity_versions.currency', 'opportunity_versions.created_date') }}

),

booked_on_day as (

    select
        new_days.snapshot_date,
        order_versions.rep_id,
        rep_versions.team,
        rep_versions.region,
        {{ to_reporting(
            'coalesce(order_versions.total_amount, current_orders.total_amount)',
            'fx.rate_to_reporting'
        ) }} as revenue
    from new_days
    inner join order_versions
        on
            {{ valid_on('order_versions', 'new_days.snapshot_date') }}
            and order_versions.status != 'cancelled'
            and order_versions.ordered_date between new_days.current_quarter_start and new_days.snapshot_date
    left join current_orders
        on order_versions.order_id = current_orders.order_id
    left join rep_versions
        on
            order_versions.rep_id = rep_versions.rep_id
            and {{ valid_on('rep_versions', 'new_days.snapshot_date') }}
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'order_versions.currency', 'order_versions.ordered_date') }}

),

pipeline as (

    select
        open_on_day.snapshot_date,
        levels.level,
        {{ scope_id_for('levels.level', 'open_on_day.rep_id', 'open_on_day.team', 'open_on_day.region') }}
            as scope_id,
        count(*) as open_opportunities,
        sum(open_on_day.amount_reporting) as open_pipeline,
        sum({{ weighted_amount('open_on_day.amount_reporting', 'open_on_day.stage') }}) as weighted_pipeline,
        sum(open_on_day.amount_reporting) filter (
            where open_on_day.close_quarter = open_on_day.current_quarter
        ) as current_quarter_open_pipeline,
        sum({{ weighted_amount('open_on_day.amount_reporting', 'open_on_day.stage') }}) filter (
            where open_on_day.close_quarter = open_on_day.current_quarter
        ) as current_quarter_weighted_pipeline,
        sum(open_on_day.amount_reporting) filter (
            where open_on_day.close_quarter = open_on_day.next_quarter
        ) as next_quarter_open_pipeline,
        sum({{ weighted_amount('open_on_day.amount_reporting', 'open_on_day.stage') }}) filter (
            where open_on_day.close_quarter = open_on_day.next_quarter
        ) as next_quarter_weighted_pipeline,
        sum(open_on_day.amount_reporting) filter (
            where open_on_day.close_quarter = open_on_day.next_quarter
            and open_on_day.forecast_category = 'commit'
        ) as next_quarter_commit_pipeline,
        sum(open_on_day.amount_reporting) filter (
            where open_on_day.close_quarter = open_on_day.next_quarter
            and open_on_day.forecast_category in ('commit', 'best_case')
        ) as next_quarter_best_case_pipeline,
        count(open_on_day.forecast_category) as categorised_opportunities
    from open_on_day
    cross join levels
    group by all

),

booked as (

    select
        booked_on_day.snapshot_date,
        levels.level,
        {{ scope_id_for('levels.level', 'booked_on_day.rep_id', 'booked_on_day.team', 'booked_on_day.region') }}
            as scope_id,
        sum(booked_on_day.revenue) as current_quarter_revenue_booked
    from booked_on_day
    cross join levels
    group by all

),

scopes as (

    select
        snapshot_date,
        'company' as level,
        'all' as scope_id
    from new_days

    union

    select
        snapshot_date,
        level,
        scope_id
    from pipeline
    where scope_id is not null

    union

    select
        snapshot_date,
        level,
        scope_id
    from booked
    where scope_id is not null

),

combined as (

    select
        scopes.snapshot_date,
        scopes.level,
        scopes.scope_id,
        cast(coalesce(pipeline.open_opportunities, 0) as bigint) as open_opportunities,
        cast(coalesce(pipeline.open_pipeline, 0) as decimal(38, 2)) as open_pipeline,
        cast(coalesce(pipeline.weighted_pipeline, 0) as decimal(38, 2)) as weighted_pipeline,
        new_days.current_quarter,
        cast(coalesce(pipeline.current_quarter_open_pipeline, 0) as decimal(38, 2))
            as current_quarter_open_pipeline,
        cast(coalesce(pipeline.current_quarter_weighted_pipeline, 0) as decimal(38, 2))
            as current_quarter_weighted_pipeline,
        current_target.revenue_target as current_quarter_revenue_target,
        cast(coalesce(booked.current_quarter_revenue_booked, 0) as decimal(38, 2))
            as current_quarter_revenue_booked,
        new_days.next_quarter,
        cast(coalesce(pipeline.next_quarter_open_pipeline, 0) as decimal(38, 2))
            as next_quarter_open_pipeline,
        cast(coalesce(pipeline.next_quarter_weighted_pipeline, 0) as decimal(38, 2))
            as next_quarter_weighted_pipeline,
        next_target.revenue_target as next_quarter_revenue_target,
        -- the CRM's forecast categories: only when an open deal of the company carries one
        -- that day (an export without them: null, not 0)
        case
            when company_pipeline.categorised_opportunities > 0
                then cast(coalesce(pipeline.next_quarter_commit_pipeline, 0) as decimal(38, 2))
        end as next_quarter_commit_pipeline,
        case
            when company_pipeline.categorised_opportunities > 0
                then cast(coalesce(pipeline.next_quarter_best_case_pipeline, 0) as decimal(38, 2))
        end as next_quarter_best_case_pipeline,
        cast(
            current_target.revenue_target - coalesce(booked.current_quarter_revenue_booked, 0) as decimal(38, 2)
        ) as current_quarter_remaining_target
    from scopes
    inner join new_days
        on scopes.snapshot_date = new_days.snapshot_date
    left join pipeline
        on
            scopes.snapshot_date = pipeline.snapshot_date
            and scopes.level = pipeline.level
            and scopes.scope_id = pipeline.scope_id
    left join pipeline as company_pipeline
        on
            scopes.snapshot_date = company_pipeline.snapshot_date
            and company_pipeline.level = 'company'
    left join booked
        on
            scopes.snapshot_date = booked.snapshot_date
            and scopes.level = booked.level
            and scopes.scope_id = booked.scope_id
    left join revenue_targets as current_target
        on
            current_target.period_type = 'quarter'
            and new_days.current_quarter = current_target.period
            and scopes.level = current_target.level
            and scopes.scope_id = current_target.scope_id
    left join revenue_targets as next_target
        on
            next_target.period_type = 'quarter'
            and new_days.next_quarter = next_target.period
            and scopes.level = next_target.level
            and scopes.scope_id = next_target.scope_id

),

final as (

    select
        *,
        case
            when current_quarter_remaining_target > 0
                then cast(current_quarter_open_pipeline as double) / cast(current_quarter_remaining_target as double)
        end as current_quarter_coverage,
        case
            when next_quarter_revenue_target > 0
                then cast(next_quarter_open_pipeline as double) / cast(next_quarter_revenue_target as double)
        end as next_quarter_coverage
    from combined

)

select {{ snapshot_columns | join(', ') }}
from final
{%- if legacy_snapshots is not none %}

union all

select
    {{ snapshot_columns | reject('in', added_columns) | join(', ') }},
    cast(null as decimal(38, 2)) as next_quarter_commit_pipeline,
    cast(null as decimal(38, 2)) as next_quarter_best_case_pipeline
from {{ legacy_snapshots }}
where snapshot_date not in (select new_days.snapshot_date from new_days)
{%- endif %}
