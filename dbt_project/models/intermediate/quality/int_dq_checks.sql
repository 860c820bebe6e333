{#-
  Cross-entity data-quality checks computed in dbt as of as_of_date (severity warn in
  dq_findings). One row per (rule, entity, record_id, column_name). Thresholds are vars:
  stale_grace_days, won_without_order_days, bant_min_flags, outlier_robust_z,
  outlier_min_history, untouched_days, order_lines_tolerance, legal_form_suffixes.
  record_id is the record's key as int_dq_records names it (macro record_id), so dq_findings
  finds the record's name there.
-#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

orders as (

    select * from {{ ref('int_orders_enriched') }}

),

payments as (

    select * from {{ ref('int_payments_enriched') }}

),

receivables as (

    select * from {{ ref('int_receivables_base') }}

),

stage_history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

activities as (

    select * exclude (processed_load_id) from {{ ref('int_activities') }}

),

order_lines as (

    select * exclude (product_line, processed_load_id) from {{ ref('int_order_lines_enriched') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

known_opportunities as (

    select * from opportunities
    where created_date <= {{ as_of_date() }}

),

stale_open_opportunity as (

    select
        'stale_open_opportunity' as rule,
        'opportunities' as entity,
        opportunity_id as record_id,
        owner_rep_id,
        'expected_close_date' as column_name,
        cast(expected_close_date as varchar) as value_seen,
        'open opportunity (stage ' || stage || ') was expected to close on '
        || cast(expected_close_date as varchar) || ', '
        || cast(date_diff('day', expected_close_date, {{ as_of_date() }}) as varchar)
        || ' days before ' || cast({{ as_of_date() }} as varchar) as message
    from known_opportunities
    where
        is_open
        and expected_close_date + to_days(cast({{ var('stale_grace_days') | int }} as integer))
        < {{ as_of_date() }}

),

orders_by_opportunity as (

    select
        opportunity_id,
        count(*) filter (where is_booked) as booked_orders,
        count(*) filter (where not is_booked) as cancelled_orders
    from orders
    where
        opportunity_id is not null
        and ordered_date <= {{ as_of_date() }}
    group by opportunity_id

),

won_without_order as (

    select
        'won_without_order' as rule,
        'opportunities' as entity,
        known_opportunities.opportunity_id as record_id,
        known_opportunities.owner_rep_id,
        'stage' as column_name,
        'won on ' || cast(known_opportunities.close_date as varchar) as value_seen,
        'won on ' || cast(known_opportunities.close_date as varchar)
        || ' (' || cast(date_diff('day', known_opportunities.close_date, {{ as_of_date() }}) as varchar)
        || ' days ago) but '
        || case
            when coalesce(orders_by_opportunity.cancelled_orders, 0) > 0
                then 'every order for it was cancelled'
            else 'no order references this opportunity'
        end as message
    from known_opportunities
    left join orders_by_opportunity
        on known_opportunities.opportunity_id = orders_by_opportunity.opportunity_id
    where
        known_opportunities.is_won
        and date_diff('day', known_opportunities.close_date, {{ as_of_date() }})
        > {{ var('won_without_order_days') | int }}
        and coalesce(orders_by_opportunity.booked_orders, 0) = 0

),

lead_flags as (

    select
        lead_id,
        opportunity_id,
        cast(coalesce(bant_budget, false) as integer)
        + cast(coalesce(bant_authority, false) as integer)
        + cast(coalesce(bant_need, false) as integer)
        + cast(coalesce(bant_timeline, false) as integer) as bant_flags
    from leads

),

opportunity_leads as (

    select
        known_opportunities.opportunity_id,
        known_opportunities.owner_rep_id,
        known_opportunities.stage,
        coalesce(by_lead_id.lead_id, by_opportunity_id.lead_id) as lead_id,
        coalesce(by_lead_id.bant_flags, by_opportunity_id.bant_flags) as bant_flags
    from known_opportunities
    left join lead_flags as by_lead_id
        on known_opportunities.lead_id = by_lead_id.lead_id
    left join lead_flags as by_opportunity_id
        on known_opportunities.opportunity_id = by_opportunity_id.opportunity_id
    where known_opportunities.stage != 'lost'
    qualify row_number() over (
        partition by known_opportunities.opportunity_id
        order by by_opportunity_id.lead_id
    ) = 1

),

bant_incomplete as (

    select
        'bant_incomplete' as rule,
        'opportunities' as entity,
        opportunity_id as record_id,
        owner_rep_id,
        'lead_id' as column_name,
        cast(bant_flags as varchar) || ' of 4 BANT flags' as value_seen,
        'opportunity at stage ' || stage || ' comes from lead ' || lead_id || ' with only '
        || cast(bant_flags as varchar) || ' of 4 BANT flags set (minimum '
        || '{{ var("bant_min_flags") | int }})' as message
    from opportunity_leads
    where
        lead_id is not null
        and bant_flags < {{ var('bant_min_flags') | int }}

),

paid_by_order as (

    select
        order_id,
        sum(amount_order_currency) as paid
    from payments
    where
        paid_date <= {{ as_of_date() }}
        and has_order
    group by order_id

),

overpaid_order as (

    select
        'overpaid_order' as rule,
        'orders' as entity,
        receivables.order_id as record_id,
        receivables.rep_id as owner_rep_id,
        'total_amount' as column_name,
        cast(paid_by_order.paid as varchar) || ' ' || receivables.currency as value_seen,
        'payments of ' || cast(paid_by_order.paid as varchar) || ' ' || receivables.currency
        || ' exceed the amount due of ' || cast(receivables.amount_due as varchar) || ' '
        || receivables.currency as message
    from receivables
    inner join paid_by_order
        on receivables.order_id = paid_by_order.order_id
    where
        receivables.ordered_date <= {{ as_of_date() }}
        and paid_by_order.paid > receivables.amount_due

),

owner_amounts as (

    select
        opportunity_id,
        owner_rep_id,
        amount,
        currency,
        amount_reporting,
        count(*) over (partition by owner_rep_id) as owner_history,
        median(amount_reporting) over (partition by owner_rep_id) as owner_median
    from known_opportunities
    where amount_reporting is not null

),

owner_spread as (

    select
        *,
        median(abs(amount_reporting - owner_median)) over (partition by owner_rep_id) as owner_mad
    from owner_amounts

),

scored as (

    select
        *,
        cast(abs(amount_reporting - owner_median) as double)
        / (1.4826 * cast(owner_mad as double)) as robust_z
    from owner_spread
    where
        owner_history >= {{ var('outlier_min_history') | int }}
        and owner_mad > 0

),

amount_outlier as (

    select
        'amount_outlier' as rule,
        'opportunities' as entity,
        opportunity_id as record_id,
        owner_rep_id,
        'amount' as column_name,
        cast(amount as varchar) || ' ' || currency as value_seen,
        'amount ' || cast(amount_reporting as varchar) || ' ' || {{ reporting_currency() }}
        || ' is far from the owner''s median ' || cast(owner_median as varchar)
        || ' (robust z ' || cast(round(robust_z, 1) as varchar)
        || ' > {{ var("outlier_robust_z") }})' as message
    from scored
    where robust_z > {{ var('outlier_robust_z') | float }}

),

missing_fx_rate as (

    select
        'missing_fx_rate' as rule,
        'orders' as entity,
        order_id as record_id,
        rep_id as owner_rep_id,
        'currency' as column_name,
        currency as value_seen,
        'no fx rate for ' || currency || ' on or before the order date '
        || cast(ordered_date as varchar) as message
    from orders
    where
        fx_rate is null
        and ordered_date <= {{ as_of_date() }}

    union all

    select
        'missing_fx_rate' as rule,
        'payments' as entity,
        payment_id as record_id,
        rep_id as owner_rep_id,
        'currency' as column_name,
        currency as value_seen,
        'no fx rate for ' || currency || ' on or before the payment date '
        || cast(paid_date as varchar) as message
    from payments
    where
        fx_rate is null
        and paid_date <= {{ as_of_date() }}

),

stage_entries as (

    select
        stage_history.opportunity_id,
        known_opportunities.owner_rep_id,
        stage_history.stage,
        stage_history.entered_at,
        {{ process_stage_order('stage_history.stage') }} as stage_order
    from stage_history
    inner join known_opportunities
        on stage_history.opportunity_id = known_opportunities.opportunity_id
    where stage_history.entered_date <= {{ as_of_date() }}

),

stage_moves as (

    select
        *,
        lag(stage) over entry_order as previous_stage,
        lag(stage_order) over entry_order as previous_stage_order,
        lag(entered_at) over entry_order as previous_entered_at
    from stage_entries
    -- entries at the same instant count in process order, so they never look backwards
    window entry_order as (partition by opportunity_id order by entered_at, stage_order, stage)

),

stage_moved_backwards as (

    select
        'stage_moved_backwards' as rule,
        'opportunity_stage_history' as entity,
        {{ record_id(['opportunity_id', 'stage', key_timestamp_text('entered_at')]) }} as record_id,
        owner_rep_id,
        'stage' as column_name,
        previous_stage || ' -> ' || stage as value_seen,
        'stage moved back from ' || previous_stage || ' (entered '
        || {{ key_timestamp_text('previous_entered_at') }} || ') to ' || stage || ' on '
        || {{ key_timestamp_text('entered_at') }} as message
    from stage_moves
    where stage_order < previous_stage_order

),

line_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(
            cast(quantity as decimal(38, 6)) * unit_price - coalesce(discount_amount, 0)
        ) as lines_amount
    from order_lines
    group by order_id

),

order_lines_mismatch as (

    select
        'order_lines_mismatch' as rule,
        'orders' as entity,
        orders.order_id as record_id,
        orders.rep_id as owner_rep_id,
        'total_amount' as column_name,
        cast(orders.total_amount as varchar) || ' ' || orders.currency || ', lines '
        || cast(cast(line_totals.lines_amount as decimal(38, 6)) as varchar) as value_seen,
        'order lines (' || cast(line_totals.line_count as varchar) || ') add up to '
        || cast(cast(line_totals.lines_amount as decimal(38, 6)) as varchar) || ' '
        || orders.currency || ' but total_amount is ' || cast(orders.total_amount as varchar)
        || ' ' || orders.currency || ' (tolerance '
        || cast({{ order_lines_tolerance() }} as varchar) || ')' as message
    from orders
    inner join line_totals
        on orders.order_id = line_totals.order_id
    where
        orders.is_booked
        and orders.ordered_date <= {{ as_of_date() }}
        and abs(line_totals.lines_amount - orders.total_amount) > {{ order_lines_tolerance() }}

),

account_names as (

    select
        account_id,
        account_name,
        owner_rep_id,
        {{ name_match_text('account_name') }} as name_words
    from accounts
    where created_date <= {{ as_of_date() }}

),

account_keys as (

    select
        account_id,
        account_name,
        owner_rep_id,
        -- a name made only of suffixes (say '有限公司') keeps them
        replace(
            coalesce(
                nullif(trim(regexp_replace(name_words, {{ legal_form_suffix_pattern() }}, '')), ''),
                name_words
            ),
            ' ', ''
        ) as name_key
    from account_names

),

account_twins as (

    select
        account_keys.account_id,
        account_keys.owner_rep_id,
        account_keys.name_key,
        string_agg(twins.account_id, ', ' order by twins.account_id) as twin_ids,
        string_agg(twins.account_id || ' ' || twins.account_name, ', ' order by twins.account_id)
            as twin_names
    from account_keys
    inner join account_keys as twins
        on
            account_keys.name_key = twins.name_key
            and account_keys.account_id != twins.account_id
    where account_keys.name_key != ''
    group by account_keys.account_id, account_keys.owner_rep_id, account_keys.name_key

),

possible_duplicate_account as (

    select
        'possible_duplicate_account' as rule,
        'accounts' as entity,
        account_id as record_id,
        owner_rep_id,
        'account_name' as column_name,
        'same name as ' || twin_ids as value_seen,
        'account name matches ' || twin_names || ' once case, width, spaces, punctuation and '
        || 'legal-form suffixes are ignored (''' || name_key || '''): merge them or tell them apart'
            as message
    from account_twins

),

opportunity_touches as (

    select
        opportunity_id,
        max(occurred_date) as last_activity_date
    from activities
    where
        opportunity_id is not null
        and occurred_date <= {{ as_of_date() }}
    group by opportunity_id

),

last_touch as (

    select
        known_opportunities.opportunity_id,
        known_opportunities.owner_rep_id,
        known_opportunities.stage,
        known_opportunities.last_modified_date,
        opportunity_touches.last_activity_date,
        greatest(
            coalesce(known_opportunities.last_modified_date, known_opportunities.created_date),
            coalesce(opportunity_touches.last_activity_date, known_opportunities.created_date)
        ) as last_touch_date
    from known_opportunities
    left join opportunity_touches
        on known_opportunities.opportunity_id = opportunity_touches.opportunity_id
    where known_opportunities.is_open

),

opportunity_untouched as (

    select
        'opportunity_untouched' as rule,
        'opportunities' as entity,
        opportunity_id as record_id,
        owner_rep_id,
        'last_modified_at' as column_name,
        cast(last_modified_date as varchar) as value_seen,
        'open opportunity (stage ' || stage || ') last modified on '
        || coalesce(cast(last_modified_date as varchar), '(never)') || ', last activity '
        || coalesce('on ' || cast(last_activity_date as varchar), 'never') || ': '
        || cast(date_diff('day', last_touch_date, {{ as_of_date() }}) as varchar)
        || ' days untouched before ' || cast({{ as_of_date() }} as varchar)
        || ' (more than {{ var("untouched_days") | int }})' as message
    from last_touch
    where date_diff('day', last_touch_date, {{ as_of_date() }}) > {{ var('untouched_days') | int }}

),

payment_for_cancelled_order as (

    select
        'payment_for_cancelled_order' as rule,
        'payments' as entity,
        payments.payment_id as record_id,
        payments.rep_id as owner_rep_id,
        case when payments.link_type = 'invoice' then 'invoice_id' else 'order_id' end as column_name,
        case
            when payments.link_type = 'invoice'
                then payments.invoice_id || ' (order ' || payments.order_id || ')'
            else payments.order_id
        end as value_seen,
        'payment of ' || cast(payments.amount as varchar) || ' ' || payments.currency || ' on '
        || cast(payments.paid_date as varchar) || ' is for order ' || payments.order_id
        || ', which is cancelled' as message
    from payments
    inner join orders
        on payments.order_id = orders.order_id
    where
        not orders.is_booked
        and payments.paid_date <= {{ as_of_date() }}

),

activity_unlinked as (

    select
        'activity_unlinked' as rule,
        'activities' as entity,
        activity_id as record_id,
        rep_id as owner_rep_id,
        'account_id' as column_name,
        '' as value_seen,
        type || ' on ' || cast(occurred_date as varchar)
        || ' names neither an account nor an opportunity' as message
    from activities
    where
        account_id is null
        and opportunity_id is null
        and occurred_date <= {{ as_of_date() }}

),

final as (

    select * from stale_open_opportunity
    union all
    select * from won_without_order
    union all
    select * from bant_incomplete
    union all
    select * from overpaid_order
    union all
    select * from amount_outlier
    union all
    select * from missing_fx_rate
    union all
    select * from stage_moved_backwards
    union all
    select * from order_lines_mismatch
    union all
    select * from possible_duplicate_account
    union all
    select * from opportunity_untouched
    union all
    select * from payment_for_cancelled_order
    union all
    select * from activity_unlinked

)

select * from final
