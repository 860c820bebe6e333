{#-
  Incremental period marts (int_sales_performance): the design of the incremental facts
  (macros/incremental.sql) applied per period. A period mart row carries processed_load_id (the
  load of the run that last wrote it), processed_as_of_date (that run's as_of_date) and
  processed_spine_from (the first day of that run's period spine); the
  watermark is max(processed_load_id). An incremental run recomputes every row of the periods
  (period_type, period) a change since the watermark can reach, with delete+insert on
  (period_type, period), and emits one key-only row per recomputed period (processed_load_id
  null: a tombstone, removed by the post-hook incremental_fact_drop_tombstones), so a period
  left without rows loses its old ones. Recomputing a period reads the current events, so a
  larger set of touched periods is never wrong, only slower; a run that touches nothing leaves
  the watermark where it was and the next run looks further back.

  The touched periods are those containing a touched date (the new date of a rewritten fact row
  and the date the changed record had at the watermark, so a record moved or deleted clears
  its old period), the periods overlapping the days between the previous and this run's
  as_of_date (events enter or leave the as_of_date cut), and the periods in which a small input
  compared in full differs from the stored row (opportunities, targets). The full build (first
  run, --full-refresh, var history_as_of_date) computes every period.
-#}

{#- The version each record of `relation` (a raw-versions model) whose key is in CTE `keys` had
    at the watermark CTE `watermark` (the latest version with load_id <= watermark), deletion
    markers left out: the record as the mart's last run saw it. -#}
{% macro versions_at_watermark(relation, key_column, keys, watermark='watermark') -%}
    select * exclude (_version_rank)
    from (
        select
            *,
            row_number() over (
                partition by {{ key_column }}
                order by load_id desc, source_row desc
            ) as _version_rank
        from {{ relation }}
        where
            load_id <= (select load_id from {{ watermark }})
            and {{ key_column }} in (select {{ key_column }} from {{ keys }})
    ) as versions
    where _version_rank = 1 and not is_deleted
{%- endmacro %}

{#- The touched dates of a fact kept per record: the date of its rows rewritten since the
    watermark (`fact`, column `date_column`, stamped processed_load_id) and the date each record
    with a new raw version (`raw_versions`, key `key_column`) had at the watermark. -#}
{% macro touched_fact_dates(fact, raw_versions, key_column, date_column, name) -%}
{{ name }}_new_keys as (
    {{ keys_with_new_versions(raw_versions, key_column) }}
),

{{ name }}_dates as (
    select {{ date_column }} as touched_date from {{ fact }}
    where processed_load_id > (select load_id from watermark)
    union
    select {{ date_column }} as touched_date from (
        {{ versions_at_watermark(raw_versions, key_column, name ~ '_new_keys') }}
    ) as previous
),
{%- endmacro %}

{#- First day of the period spine `periods` (int_periods: from the month of the first dated
    event to as_of_date; quarters and years start earlier): its first month's start, stored
    with every row as processed_spine_from. -#}
{% macro spine_start(periods) -%}
    (select min(period_start) from {{ periods }} where period_type = 'month')
{%- endmacro %}

{#- CTE body: the days on which the mart can have changed without a touched date since the run
    of the watermark: between its and this run's as_of_date (events enter or leave the
    as_of_date cut), and between its and this run's first spine day (a period enters or leaves
    the spine int_periods, and with it the events already dated in it: the days from the lower
    up to before the higher first day). Rows window_after < day <= window_to. -#}
{% macro spine_windows(periods) -%}
    select
        least(previous.as_of_date, {{ as_of_date() }}) as window_after,
        greatest(previous.as_of_date, {{ as_of_date() }}) as window_to
    from previous_run as previous
    union all
    select
        least(previous.spine_from, {{ spine_start(periods) }}) - 1 as window_after,
        greatest(previous.spine_from, {{ spine_start(periods) }}) - 1 as window_to
    from previous_run as previous
{%- endmacro %}

{#- CTE body: as_of_date and first spine day of the run of the watermark (none when the mart is
    empty: every record is then new). -#}
{% macro previous_period_run() -%}
    select
        max(processed_as_of_date) as as_of_date,
        max(processed_spine_from) as spine_from
    from {{ this }}
    where processed_load_id = (select load_id from watermark)
    having count(*) > 0
{%- endmacro %}

{#- CTE body: the (period_type, period) keys containing a date of CTE `dates` (column
    touched_date) or overlapping the CTE `window` (window_after < day <= window_to), in the
    period spine `periods` or among the mart's stored rows (a period can leave the spine). -#}
{% macro periods_touched_by(dates, window, periods) -%}
    select distinct p.period_type, p.period
    from (
        select period_type, period, period_start, period_end from {{ periods }}
        union
        select distinct period_type, period, period_start, period_end from {{ this }}
        where processed_load_id is not null
    ) as p
    where
        exists (
            select 1 from {{ dates }} as d
            where d.touched_date between p.period_start and p.period_end
        )
        or exists (
            select 1 from {{ window }} as w
            where p.period_end > w.window_after and p.period_start <= w.window_to
        )
{%- endmacro %}

{#- Condition: the row's (period_type, period) (columns of `alias`, when given) is in CTE
    `touched`. -#}
{% macro in_touched_periods(alias=none, touched='touched_periods') -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    ({{ prefix }}period_type, {{ prefix }}period) in (select (period_type, period) from {{ touched }})
{%- endmacro %}

{#- in_touched_periods on an incremental run, else true (the full build reads every period). -#}
{% macro in_touched_periods_if_incremental(alias=none) -%}
    {%- if incremental_fact_active() -%}
        {{ in_touched_periods(alias) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Key-only rows (processed_load_id null) for every recomputed period. -#}
{% macro incremental_period_tombstones(touched='touched_periods') -%}
    select period_type, period from {{ touched }}
{%- endmacro %}


{#- ---------------------------------------------------------- int_sales_performance -#}

{#- CTEs (each followed by a comma) an incremental run of int_sales_performance adds before its
    own, ending with touched_periods. Touched dates: orders (int_orders_enriched rewritten:
    amounts, fx, first-order flags, rep moves; raw versions: moved, cancelled, deleted; raw
    order line versions: units), payments (int_payments_enriched rewritten; raw versions) and
    activities (int_activities rewritten; raw versions; every activity of a rep with a new
    sales_reps or rep_assignments version: its team and region are looked up at the activity
    date). Opportunities (won, lost, deal size, cycle: one row per closed deal, no raw
    versions) and targets are small: their figures are recomputed for every period and
    compared with the stored row. `raw_versions`: {'orders', 'order_lines', 'payments',
    'activities', 'sales_reps', 'rep_assignments'}; `facts`: {'orders', 'payments',
    'activities'}. -#}
{% macro incremental_sales_performance_ctes(raw_versions, facts, periods, event_scopes, targets) -%}
watermark as (
    {{ incremental_watermark() }}
),

{{ touched_fact_dates(facts['orders'], raw_versions['orders'], 'order_id', 'ordered_date', 'order') }}

{{ touched_fact_dates(facts['payments'], raw_versions['payments'], 'payment_id', 'paid_date', 'payment') }}

{{ touched_fact_dates(facts['activities'], raw_versions['activities'], 'activity_id', 'occurred_date', 'activity') }}

moved_reps as (
    {{ keys_with_new_versions(raw_versions['sales_reps'], 'rep_id') }}
    union
    {{ keys_with_new_versions(raw_versions['rep_assignments'], 'rep_id') }}
),

touched_dates as (
    select touched_date from order_dates
    union
    select fact.ordered_date from {{ facts['orders'] }} as fact
    where fact.order_id in (
        {{ keys_with_new_versions(raw_versions['order_lines'], 'order_id') }}
    )
    union
    select touched_date from payment_dates
    union
    select touched_date from activity_dates
    union
    select fact.occurred_date from {{ facts['activities'] }} as fact
    where fact.rep_id in (select rep_id from moved_reps)
),

previous_run as (
    {{ previous_period_run() }}
),

spine_windows as (
    {{ spine_windows(periods) }}
),

fresh_deal_figures as (
    select
        period_type,
        period,
        level,
        scope_id,
        {{ sales_performance_deal_figures() }}
    from {{ event_scopes }}
    where event_type in ('opportunity_won', 'opportunity_lost')
    group by period_type, period, level, scope_id
),

fresh_target_figures as (
    select
        t.period_type,
        t.period,
        t.level,
        t.scope_id,
        {{ sales_performance_target_figures('t') }}
    from {{ targets }} as t
    inner join {{ periods }} as p
        on t.period_type = p.period_type and t.period = p.period
    where t.product_line is null
    group by t.period_type, t.period, t.level, t.scope_id
),

compared_periods as (
    select coalesce(fresh.period_type, stored.period_type) as period_type, coalesce(fresh.period, stored.period) as period
    from fresh_deal_figures as fresh
    full outer join (select * from {{ this }} where won + lost > 0) as stored
        on
            fresh.period_type = stored.period_type
            and fresh.period = stored.period
            and fresh.level = stored.level
            and fresh.scope_id = stored.scope_id
    where
        fresh.won is distinct from stored.won
        or fresh.lost is distinct from stored.lost
        or fresh.won_amount is distinct from stored.won_amount
        or fresh.avg_deal_size is distinct from stored.avg_deal_size
        or fresh.avg_sales_cycle_days is distinct from stored.avg_sales_cycle_days
        or fresh.median_sales_cycle_days is distinct from stored.median_sales_cycle_days
    union
    select coalesce(fresh.period_type, stored.period_type) as period_type, coalesce(fresh.period, stored.period) as period
    from fresh_target_figures as fresh
    full outer join (
        select * from {{ this }}
        where coalesce(
            revenue_target, won_amount_target, collections_target, new_customers_target,
            units_target, visits_target, proposals_target, quotes_target
        ) is not null
    ) as stored
        on
            fresh.period_type = stored.period_type
            and fresh.period = stored.period
            and fresh.level = stored.level
            and fresh.scope_id = stored.scope_id
    where
        fresh.revenue_target is distinct from stored.revenue_target
        or fresh.won_amount_target is distinct from stored.won_amount_target
        or fresh.collections_target is distinct from stored.collections_target
        or fresh.new_customers_target is distinct from stored.new_customers_target
        or fresh.units_target is distinct from stored.units_target
        or fresh.visits_target is distinct from stored.visits_target
        or fresh.proposals_target is distinct from stored.proposals_target
        or fresh.quotes_target is distinct from stored.quotes_target
),

touched_periods as (
    {{ periods_touched_by('touched_dates', 'spine_windows', periods) }}
    union
    select period_type, period from compared_periods
),
{%- endmacro %}

{#- Aggregates over the won and lost events of int_sales_event_scopes: the deal figures of a
    (period, scope) as int_sales_performance publishes them (won, lost, won_amount,
    avg_deal_size, avg and median sales cycle in days). One place for the model and its
    incremental comparison. -#}
{% macro sales_performance_deal_figures() -%}
        count(*) filter (where event_type = 'opportunity_won') as won,
        count(*) filter (where event_type = 'opportunity_lost') as lost,
        cast(coalesce(sum(amount_reporting) filter (where event_type = 'opportunity_won'), 0) as decimal(38, 2))
            as won_amount,
        {{ divide_decimal(
            "sum(amount_reporting) filter (where event_type = 'opportunity_won')",
            "count(amount_reporting) filter (where event_type = 'opportunity_won')",
            2
        ) }} as avg_deal_size,
        -- integer seconds: the mean of a BIGINT is summed exactly, so reruns give identical bits
        avg(sales_cycle_seconds) filter (where event_type = 'opportunity_won') / 86400.0
            as avg_sales_cycle_days,
        median(sales_cycle_seconds) filter (where event_type = 'opportunity_won') / 86400.0
            as median_sales_cycle_days
{%- endmacro %}

{#- Aggregates over int_targets rows (alias `t`, whole product range) of a (period, scope): the
    target of each metric int_sales_performance publishes. -#}
{% macro sales_performance_target_figures(t) -%}
        max(case when {{ t }}.metric = 'revenue' then {{ t }}.target_value end) as revenue_target,
        max(case when {{ t }}.metric = 'bookings' then {{ t }}.target_value end) as won_amount_target,
        max(case when {{ t }}.metric = 'collections' then {{ t }}.target_value end) as collections_target,
        max(case when {{ t }}.metric = 'new_customers' then {{ t }}.target_value end) as new_customers_target,
        max(case when {{ t }}.metric = 'units' then {{ t }}.target_value end) as units_target,
        max(case when {{ t }}.metric = 'visits' then {{ t }}.target_value end) as visits_target,
        max(case when {{ t }}.metric = 'proposals' then {{ t }}.target_value end) as proposals_target,
        max(case when {{ t }}.metric = 'quotes' then {{ t }}.target_value end) as quotes_target
{%- endmacro %}
