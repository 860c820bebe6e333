{#-
  Incremental per-record facts (int_orders_enriched, int_payments_enriched,
  int_order_lines_enriched, int_activities).

  A fact row carries processed_load_id: the load (var load_id) of the run that last wrote it.
  The watermark of a run is max(processed_load_id) of the fact. An incremental run recomputes
  only the keys whose value can have changed since the watermark (each fact lists its triggers:
  a new version of the record, of a record it looks up, or a new fx rate), rewrites them with
  delete+insert on the unique key, and deletes the rows of keys whose current version is now a
  deletion marker: those keys are emitted as key-only rows with processed_load_id null
  ("tombstones"), which the post-hook incremental_fact_drop_tombstones removes.

  The full build (first run, --full-refresh, or var history_as_of_date) computes every row from
  the staging views. The incremental path reads the raw versions through the staging models
  stg_<source>__<entity>_raw_versions (every version as loaded, in the staging shape of
  macros/staged_records.sql, with load_id, source_row and is_deleted); a fact model names those
  relations unconditionally (so dbt knows the dependency) and passes them to these macros.
  Raw loads are append-only with increasing load ids and dbt runs after its load's ingest, so
  every version with load_id <= watermark was already seen by the run that set the watermark.
-#}

{#- True when this run updates the existing fact in place. A rebuild as of a past date
    (var history_as_of_date) is always a full build: see incremental_fact_history_reset. -#}
{% macro incremental_fact_active() -%}
    {#- a dbt unit test renders the model without `this`: it tests the full build -#}
    {{ return(this is not none and is_incremental() and not var('history_as_of_date', none)) }}
{%- endmacro %}

{#- Pre-hook. With var history_as_of_date on an existing fact without --full-refresh, empty the
    fact first so the run (which then selects every row as of that date) is a full rebuild and
    keeps no row the past did not have. The rebuild path should pass --full-refresh anyway. -#}
{% macro incremental_fact_history_reset() -%}
    {%- if is_incremental() and var('history_as_of_date', none) -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: tombstones (processed_load_id null) deleted their key's row; drop them. -#}
{% macro incremental_fact_drop_tombstones() -%}
    {{- return(adapter.dispatch('incremental_fact_drop_tombstones', 'salesops')()) -}}
{%- endmacro %}

{% macro default__incremental_fact_drop_tombstones() -%}
    delete from {{ this }} where processed_load_id is null
{%- endmacro %}

{#- Spark builds the facts in full (incremental_materialization): no tombstones, no hook. -#}
{% macro spark__incremental_fact_drop_tombstones() -%}
{%- endmacro %}

{#- The stamp of this run: var load_id, the load the pipeline is building (meta.loads.load_id;
    its raw versions and all earlier ones are in raw when dbt runs, since loads run one at a
    time). A lower stamp (the default 0 of an interactive run) only makes the next run
    recompute more.
    A rebuild as of a past date stamps 0: the next ordinary run then recomputes every row
    and the fact is current again. -#}
{% macro fact_load_stamp() -%}
    {%- if var('history_as_of_date', none) -%}
        cast(0 as bigint)
    {%- else -%}
        cast({{ var('load_id') | int }} as bigint)
    {%- endif -%}
{%- endmacro %}

{#- CTE body: the fact's watermark, one row, column load_id. -#}
{% macro incremental_watermark() -%}
    select coalesce(max(processed_load_id), 0) as load_id from {{ this }}
{%- endmacro %}

{#- Keys of `relation` (a raw-versions model) with a version newer than the watermark CTE
    `watermark`. -#}
{% macro keys_with_new_versions(relation, key_column, watermark='watermark') -%}
    select distinct {{ key_column }} from {{ relation }}
    where load_id > (select load_id from {{ watermark }}) and {{ key_column }} is not null
{%- endmacro %}

{#- The current version (as current_versions picks it) of each record of `relation` (a
    raw-versions model) whose `keys_column` (default: the record key, when it is one column) is
    in the CTE `keys`, deletion markers included (is_deleted): the key filter runs before the
    window, so only the versions of those records are ranked. `key_columns`: the record key, a
    column or a list of columns. With `entity` (a child entity of macros/deleted_parents.sql),
    a record whose parent is gone counts as deleted (is_deleted), as in current_versions. -#}
{% macro current_versions_of(relation, key_columns, keys, keys_column=none, entity=none) -%}
    {%- set key_columns = [key_columns] if key_columns is string else key_columns -%}
    {%- set keys_column = keys_column or key_columns[0] -%}
    {%- if entity in parent_references() %}
    select
        * exclude (_version_rank, is_deleted),
        is_deleted or not (true {{ parents_not_gone(entity) }}) as is_deleted
    {%- else %}
    select * exclude (_version_rank)
    {%- endif %}
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by load_id desc, source_row desc
            ) as _version_rank
        from {{ relation }}
        where {{ keys_column }} in (select {{ keys_column }} from {{ keys }})
    ) as versions
    where _version_rank = 1
{%- endmacro %}

{#- The records of `versions` (current versions of a raw-versions model) that are not deletion
    markers, in the staging shape: the columns of the staging model, no more. -#}
{% macro live_records(versions) -%}
    select * exclude (source_row, is_deleted) from {{ versions }}
    where not is_deleted
{%- endmacro %}

{#- Fx quotes changed since the watermark, as the date ranges whose rate they can change:
    currency C, from the quote's date d up to (excluding) the next valid quote of C after d in
    int_fx_rates. Outside these ranges the latest quote on or before a day is the same quote as
    before, so converted amounts there cannot change. Columns currency, changed_from, changed_to.
    `fx_rate_versions`: stg_finance__fx_rate_raw_versions. -#}
{% macro fx_changed_ranges(fx_rate_versions, fx_rates, watermark='watermark') -%}
    select
        changed.currency,
        changed.changed_from,
        coalesce(min(later.valid_from), cast('9999-12-31' as date)) as changed_to
    from (
        select distinct
            upper(currency) as currency,
            rate_date as changed_from
        from {{ fx_rate_versions }}
        where load_id > (select load_id from {{ watermark }})
    ) as changed
    left join {{ fx_rates }} as later
        on
            changed.currency = later.currency
            and later.valid_from > changed.changed_from
    group by changed.currency, changed.changed_from
{%- endmacro %}

{#- Condition: `currency` on `day` falls in a changed fx range (CTE `ranges`). -#}
{% macro in_fx_changed_range(ranges, currency, day) -%}
    exists (
        select 1 from {{ ranges }} as r
        where
            r.currency = upper({{ currency }})
            and {{ day }} >= r.changed_from
            and {{ day }} < r.changed_to
    )
{%- endmacro %}


{#- ---------------------------------------------------------------- int_orders_enriched -#}

{#- CTEs (each followed by a comma) an incremental run of int_orders_enriched adds before its
    own: watermark, fx_changed, changed_order_keys (every order to recompute, deleted ones
    included) and order_versions (their current versions with is_deleted). Triggers: a new version
    of the order; for an order exported without a total (its amount is the sum of its lines), a
    new version of one of its lines, a deletion marker included; a new version of its rep or of
    one of the rep's hierarchy file rows (rep_assignments) in any load, a backfilled older one
    included (it can
    change the rep's team / region on any date of int_sales_rep_history, so every order of the
    rep is recomputed); a changed fx quote covering its currency and order date
    (fx_changed_ranges); a new version of its account (deleted or exported again:
    macros/deleted_parents.sql). Accounts whose first order can move are handled
    by incremental_first_orders. `raw_versions`: {'orders', 'order_lines', 'sales_reps',
    'rep_assignments', 'fx_rates'} -> the raw-versions models. -#}
{% macro incremental_orders_ctes(raw_versions, fx_rates) -%}
watermark as (
    {{ incremental_watermark() }}
),

fx_changed as (
    {{ fx_changed_ranges(raw_versions['fx_rates'], fx_rates) }}
),

changed_order_keys as (
    {{ keys_with_new_versions(raw_versions['orders'], 'order_id') }}
    union
    select fact.order_id from {{ this }} as fact
    where
        fact.exported_total_amount is null
        and fact.order_id in (
            {{ keys_with_new_versions(raw_versions['order_lines'], 'order_id') }}
        )
    union
    select fact.order_id from {{ this }} as fact
    where fact.rep_id in (
        {{ keys_with_new_versions(raw_versions['sales_reps'], 'rep_id') }}
        union
        {{ keys_with_new_versions(raw_versions['rep_assignments'], 'rep_id') }}
    )
    union
    select fact.order_id from {{ this }} as fact
    where {{ in_fx_changed_range('fx_changed', 'fact.currency', 'fact.ordered_date') }}
    union
    {{ keys_with_parent_changes('orders', 'order_id') }}
),

order_versions as (
    {{ current_versions_of(raw_versions['orders'], 'order_id', 'changed_order_keys', entity='orders') }}
),
{%- endmacro %}

{#- is_first_order for an incremental run. `converted` holds the recomputed orders (without
    is_first_order). An account's first booked order can change only in the accounts of the
    changed orders (old account from the fact, new one from the recomputed row); its new first
    order is the earliest of: the recomputed booked orders, the old first order when it was not
    recomputed, and, when the old first order was recomputed ("broken" accounts), every other
    booked order of the account. Emits the recomputed rows plus the unchanged fact rows whose
    flag flips, each with is_first_order. -#}
{% macro incremental_first_orders(converted) -%}
    with

    fact as (
        select * exclude (processed_load_id) from {{ this }}
        where order_id not in (select order_id from changed_order_keys)
    ),

    affected_accounts as (
        select account_id from {{ converted }}
        union
        select account_id from {{ this }}
        where order_id in (select order_id from changed_order_keys)
    ),

    broken_accounts as (
        select account_id from {{ this }}
        where is_first_order and order_id in (select order_id from changed_order_keys)
    ),

    pool as (
        select account_id, ordered_at, order_id from {{ converted }}
        where is_booked
        union all
        select fact.account_id, fact.ordered_at, fact.order_id from fact
        inner join affected_accounts as a on fact.account_id is not distinct from a.account_id
        where fact.is_first_order
        union all
        select fact.account_id, fact.ordered_at, fact.order_id from fact
        inner join broken_accounts as b on fact.account_id is not distinct from b.account_id
        where fact.is_booked and not fact.is_first_order
    ),

    new_first as (
        select order_id from (
            select
                order_id,
                row_number() over (partition by account_id order by ordered_at, order_id) as rank_in_account
            from pool
        ) as ranked
        where rank_in_account = 1
    ),

    flipped as (
        select
            fact.* exclude (is_first_order),
            fact.is_booked and fact.order_id in (select order_id from new_first) as is_first_order
        from fact
        where
            fact.order_id in (select order_id from pool)
            and fact.is_first_order
            is distinct from (fact.is_booked and fact.order_id in (select order_id from new_first))
    )

    select
        {{ converted }}.*,
        {{ converted }}.is_booked
        and {{ converted }}.order_id in (select order_id from new_first) as is_first_order
    from {{ converted }}
    union all by name
    select * from flipped
{%- endmacro %}

{#- Key-only rows deleting the orders whose current version is a deletion marker. -#}
{% macro incremental_order_tombstones() -%}
    select order_id from order_versions
    where is_deleted
{%- endmacro %}


{#- -------------------------------------------------------------- int_payments_enriched -#}

{#- CTEs (each followed by a comma) an incremental run of int_payments_enriched adds before its
    own. Triggers: a new version of the payment; a new version of the invoice it names (the
    invoice's order links it); its linked order rewritten in int_orders_enriched since the
    watermark (processed_load_id above it) or with a new raw version (deleted orders); a changed
    fx quote covering the payment currency or the order currency on the payment date; its
    invoice's order gone or back with its parent (macros/deleted_parents.sql).
    `raw_versions`: {'payments', 'invoices', 'orders', 'fx_rates'} -> the raw-versions models. -#}
{% macro incremental_payments_ctes(raw_versions, orders, fx_rates) -%}
watermark as (
    {{ incremental_watermark() }}
),

fx_changed as (
    {{ fx_changed_ranges(raw_versions['fx_rates'], fx_rates) }}
),

changed_order_ids as (
    select order_id from {{ orders }}
    where processed_load_id > (select load_id from watermark)
    union
    {{ keys_with_new_versions(raw_versions['orders'], 'order_id') }}
    union
    {{ keys_with_parent_changes('orders', 'order_id') }}
),

changed_payment_keys as (
    {{ keys_with_new_versions(raw_versions['payments'], 'payment_id') }}
    union
    select fact.payment_id from {{ this }} as fact
    where
        fact.invoice_id in (
            {{ keys_with_new_versions(raw_versions['invoices'], 'invoice_id') }}
        )
        or fact.order_id in (select order_id from changed_order_ids)
        or fact.invoice_id in ({{ keys_with_parent_changes('invoices', 'invoice_id') }})
        or {{ in_fx_changed_range('fx_changed', 'fact.currency', 'fact.paid_date') }}
        or {{ in_fx_changed_range('fx_changed', 'fact.order_currency', 'fact.paid_date') }}
),

payment_versions as (
    {{ current_versions_of(raw_versions['payments'], 'payment_id', 'changed_payment_keys') }}
),

changed_invoice_keys as (
    select distinct invoice_id from payment_versions
    where invoice_id is not null and not is_deleted
),

invoice_versions as (
    {{ current_versions_of(raw_versions['invoices'], 'invoice_id', 'changed_invoice_keys', entity='invoices') }}
),
{%- endmacro %}

{#- Key-only rows deleting the payments whose current version is a deletion marker. -#}
{% macro incremental_payment_tombstones() -%}
    select payment_id from payment_versions
    where is_deleted
{%- endmacro %}


{#- ------------------------------------------------- facts over one raw table (generic) -#}

{#- CTEs (each followed by a comma) an incremental run of a fact kept per `fact_key` over the
    raw-versions model `relation` adds before its own: watermark; changed_keys, the fact keys to
    recompute (a new version of any record under the key, plus the keys the SQL `also_changed`
    selects, when given: e.g. the fact rows whose looked-up record changed); record_versions,
    the current versions of every record under those keys (`record_key`: the raw table's key,
    a column or a list), deletion markers included; live_versions, those that are not deletion
    markers, in the staging shape (the columns of the staging model). The fact rewrites every row of a changed key (delete+insert on `fact_key`) and
    emits incremental_key_tombstones, so a key whose records are all deleted loses its rows.
    `entity`: the raw entity, when it has parents (macros/deleted_parents.sql): a record whose
    parent is gone counts as deleted, and a new version of a parent recomputes its records. -#}
{% macro incremental_record_ctes(relation, fact_key, record_key, also_changed=none, entity=none) -%}
watermark as (
    {{ incremental_watermark() }}
),

changed_keys as (
    {{ keys_with_new_versions(relation, fact_key) }}
    {%- if also_changed %}
    union
    {{ also_changed }}
    {%- endif %}
    {%- if entity in parent_references() %}
    union
    {{ keys_with_parent_changes(entity, fact_key) }}
    {%- endif %}
),

record_versions as (
    {{ current_versions_of(relation, record_key, 'changed_keys', fact_key, entity=entity) }}
),

live_versions as (
    {{ live_records('record_versions') }}
),
{%- endmacro %}

{#- Fact keys whose rows look up a record of `relation` (a raw-versions model; fact column
    `lookup_column` holds its key `relation_key`) that has a new version: an also_changed of
    incremental_record_ctes. -#}
{% macro fact_keys_looking_up_changed(fact_key, lookup_column, relation, relation_key) -%}
    select fact.{{ fact_key }} from {{ this }} as fact
    where fact.{{ lookup_column }} in (
        {{ keys_with_new_versions(relation, relation_key) }}
    )
{%- endmacro %}

{#- Key-only rows (processed_load_id null) for every recomputed key: delete+insert removes the
    key's old rows, the post-hook incremental_fact_drop_tombstones the tombstone. -#}
{% macro incremental_key_tombstones(fact_key) -%}
    select {{ fact_key }} from changed_keys
{%- endmacro %}

{#- The materialization of the incremental models: `incremental` on DuckDB; on Spark (plain
    Parquet tables: no DELETE, and delete+insert is no dbt-spark strategy) `table`, a full
    build every run (docs/scale-out.md, "Incremental models on Spark"). -#}
{% macro incremental_materialization() -%}
    {{- return(adapter.dispatch('incremental_materialization', 'salesops')()) -}}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{- return('incremental') -}}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{- return('table') -}}
{%- endmacro %}
