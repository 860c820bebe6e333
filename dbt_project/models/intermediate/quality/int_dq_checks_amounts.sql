{#-
  Data-quality rules of family amounts (expectations/rules.yml) computed in dbt as of
  as_of_date: overpaid_order (payments exceed the amount due), amount_outlier (robust z-score
  of an opportunity's amount among its owner's above outlier_robust_z, owner with at least
  outlier_min_history opportunities), missing_fx_rate (order or payment without a rate),
  order_lines_mismatch (booked order whose lines' amounts, int_order_lines_enriched
  .line_amount, add up to more than order_lines_tolerance away from its exported
  total_amount),
  order_without_amount (booked order with neither a total_amount nor lines),
  target_levels_not_adding_up / target_periods_not_adding_up (an explicit target that differs
  from the sum of the level below / of the shorter periods inside it) and target_unreasonable
  (an explicit quarter target outside its trend's band), from int_target_checks; target
  findings have no owner rep: they go to sales ops, who set the targets. Rows in the shape of
  int_dq_checks, which unions the families.
-#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

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

order_lines as (

    select * from {{ ref('int_order_lines_enriched') }}

),

target_checks as (

    select * from {{ ref('int_target_checks') }}
    where target_source = 'explicit'

),

known_opportunities as (

    select * from opportunities
    where created_date <= {{ as_of_date() }}

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
        cast(paid_by_order.paid as {{ type_text() }}) || ' ' || receivables.currency as value_seen,
        'payments of ' || cast(paid_by_order.paid as {{ type_text() }}) || ' ' || receivables.currency
        || ' exceed the amount due of ' || cast(receivables.amount_due as {{ type_text() }}) || ' '
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
        {{ median_decimal('amount_reporting', 2, 'partition by owner_rep_id') }} as owner_median
    from known_opportunities
    where amount_reporting is not null

),

owner_spread as (

    select
        *,
        {{ median_decimal('abs(amount_reporting - owner_median)', 2, 'partition by owner_rep_id') }} as owner_mad
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
        cast(amount as {{ type_text() }}) || ' ' || currency as value_seen,
        'amount ' || cast(amount_reporting as {{ type_text() }}) || ' ' || {{ reporting_currency() }}
        || ' is far from the owner''s median ' || cast(owner_median as {{ type_text() }})
        || ' (robust z ' || cast(round(robust_z, 1) as {{ type_text() }})
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
        || cast(ordered_date as {{ type_text() }}) as message
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
        || cast(paid_date as {{ type_text() }}) as message
    from payments
    where
        fx_rate is null
        and paid_date <= {{ as_of_date() }}

),

line_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(line_amount) as lines_amount
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
        cast(orders.exported_total_amount as {{ type_text() }}) || ' ' || orders.currency || ', lines '
        || cast(line_totals.lines_amount as {{ type_text() }}) as value_seen,
        'order lines (' || cast(line_totals.line_count as {{ type_text() }}) || ') add up to '
        || cast(line_totals.lines_amount as {{ type_text() }}) || ' '
        || orders.currency || ' but total_amount is ' || cast(orders.exported_total_amount as {{ type_text() }})
        || ' ' || orders.currency || ' (tolerance '
        || cast({{ order_lines_tolerance() }} as {{ type_text() }}) || ')' as message
    from orders
    inner join line_totals
        on orders.order_id = line_totals.order_id
    where
        orders.is_booked
        and orders.ordered_date <= {{ as_of_date() }}
        and abs(line_totals.lines_amount - orders.exported_total_amount) > {{ order_lines_tolerance() }}

),

order_without_amount as (

    select
        'order_without_amount' as rule,
        'orders' as entity,
        order_id as record_id,
        rep_id as owner_rep_id,
        'total_amount' as column_name,
        cast(null as {{ type_text() }}) as value_seen,
        'the order has no total_amount and no order lines: it counts in order counts, '
        || 'not in revenue' as message
    from orders
    where
        is_booked
        and ordered_date <= {{ as_of_date() }}
        and total_amount is null

),

target_levels_not_adding_up as (

    select
        'target_levels_not_adding_up' as rule,
        'targets' as entity,
        {{ record_id(['period', 'level', 'scope_id', 'metric', 'product_line']) }} as record_id,
        cast(null as {{ type_text() }}) as owner_rep_id,
        'target_value' as column_name,
        cast(target_value as {{ type_text() }}) as value_seen,
        'the ' || level || ' target ' || cast(target_value as {{ type_text() }}) || ' differs from the sum '
        || cast(child_target_sum as {{ type_text() }}) || ' of its ' || cast(child_targets as {{ type_text() }}) || ' '
        || child_level || ' targets (' || metric || ' ' || period || ')' as message
    from target_checks
    where add_up_status = 'differs'

),

target_periods_not_adding_up as (

    select
        'target_periods_not_adding_up' as rule,
        'targets' as entity,
        {{ record_id(['period', 'level', 'scope_id', 'metric', 'product_line']) }} as record_id,
        cast(null as {{ type_text() }}) as owner_rep_id,
        'target_value' as column_name,
        cast(target_value as {{ type_text() }}) as value_seen,
        'the ' || period_type || ' target ' || cast(target_value as {{ type_text() }})
        || ' differs from the sum ' || cast(period_child_target_sum as {{ type_text() }}) || ' of its '
        || cast(period_child_targets as {{ type_text() }}) || ' ' || period_child_type || ' targets ('
        || metric || ' ' || level || ' ' || scope_id || ')' as message
    from target_checks
    where period_add_up_status = 'differs'

),

target_unreasonable as (

    select
        'target_unreasonable' as rule,
        'targets' as entity,
        {{ record_id(['period', 'level', 'scope_id', 'metric', 'product_line']) }} as record_id,
        cast(null as {{ type_text() }}) as owner_rep_id,
        'target_value' as column_name,
        cast(target_value as {{ type_text() }}) as value_seen,
        'the target ' || cast(target_value as {{ type_text() }}) || ' is outside the trailing trend '
        || cast(trend_value as {{ type_text() }})
        || ' ± {{ (var("target_reasonableness_band") | float * 100) | round(1) }}%'
        || ' (last quarter ' || cast(last_quarter_actual as {{ type_text() }}) || ')' as message
    from target_checks
    where is_unreasonable

),

final as (

    select * from overpaid_order
    union all
    select * from amount_outlier
    union all
    select * from missing_fx_rate
    union all
    select * from order_lines_mismatch
    union all
    select * from order_without_amount
    union all
    select * from target_levels_not_adding_up
    union all
    select * from target_periods_not_adding_up
    union all
    select * from target_unreasonable

)

select * from final
