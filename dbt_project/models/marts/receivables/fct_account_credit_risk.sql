{#-
  Bad-debt risk per account with something outstanding, at each aging snapshot (the run's
  as_of_date and quarter ends, as fct_receivables_aging). Three signals, each on 0..1:
    days      = least(max days overdue of the account's open receivables, cap) / cap
                (var credit_risk_days_cap, default 120);
    overdue   = share of the account's outstanding that is past due;
    late      = share of the account's instalments due on or before the snapshot that were not
                fully paid by their due date (payment history, int_receivables_allocations).
  risk_score = 100 × (w_days × days + w_overdue × overdue + w_late × late), weights var
  credit_risk_weights (defaults 0.5 / 0.3 / 0.2), rounded to 1 place; risk_band high (>= 60),
  medium (>= 30), else low (var credit_risk_bands). expected_loss is the account's provision,
  the rule of fct_receivables_provision (macros loss_rate, weighted_money). Amounts in the reporting currency.
-#}
{%- set weights = var('credit_risk_weights') -%}
{%- set bands = var('credit_risk_bands') -%}
with

balances as (

    select * from {{ ref('int_receivables_balances') }}
    where is_aging_snapshot

),

provision as (

    select
        *,
        {{ weighted_money('outstanding', loss_rate('aging_bucket')) }} as expected_loss
    from balances

),

allocations as (

    select * from {{ ref('int_receivables_allocations') }}

),

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

open_balances as (

    select
        as_of_date,
        account_id,
        count(*) as open_receivables,
        sum(outstanding) as outstanding,
        coalesce(sum(outstanding) filter (where days_overdue > 0), 0) as overdue,
        max(days_overdue) as max_days_overdue,
        sum(expected_loss) as expected_loss
    from provision
    group by as_of_date, account_id

),

history as (

    select
        open_balances.as_of_date,
        open_balances.account_id,
        count(*) as instalments_due,
        count(*) filter (where allocations.paid < allocations.amount_due) as instalments_late
    from open_balances
    inner join allocations
        on
            open_balances.account_id = allocations.account_id
            and allocations.as_of_date = allocations.due_date
            and open_balances.as_of_date >= allocations.due_date
    group by open_balances.as_of_date, open_balances.account_id

),

signals as (

    select
        open_balances.*,
        coalesce(history.instalments_due, 0) as instalments_due,
        coalesce(history.instalments_late, 0) as instalments_late,
        least(open_balances.max_days_overdue, {{ var('credit_risk_days_cap') | int }})
        / {{ var('credit_risk_days_cap') | int }}.0 as days_signal,
        case
            when open_balances.outstanding > 0
                then cast(open_balances.overdue as double) / cast(open_balances.outstanding as double)
            else 0
        end as overdue_signal,
        case
            when history.instalments_due > 0
                then history.instalments_late / cast(history.instalments_due as double)
            else 0
        end as late_signal
    from open_balances
    left join history
        on
            open_balances.as_of_date = history.as_of_date
            and open_balances.account_id = history.account_id

),

scored as (

    select
        *,
        round(
            100 * (
                {{ weights['days_overdue'] }} * days_signal
                + {{ weights['share_overdue'] }} * overdue_signal
                + {{ weights['late_payments'] }} * late_signal
            ),
            1
        ) as risk_score
    from signals

),

final as (

    select
        scored.as_of_date,
        scored.account_id,
        accounts.account_name,
        accounts.owner_rep_id,
        scored.open_receivables,
        cast(scored.outstanding as decimal(38, 2)) as outstanding,
        cast(scored.overdue as decimal(38, 2)) as overdue,
        scored.max_days_overdue,
        scored.instalments_due,
        scored.instalments_late,
        scored.risk_score,
        case
            when scored.risk_score >= {{ bands['high'] }} then 'high'
            when scored.risk_score >= {{ bands['medium'] }} then 'medium'
            else 'low'
        end as risk_band,
        cast(scored.expected_loss as decimal(38, 2)) as expected_loss
    from scored
    left join accounts
        on scored.account_id = accounts.account_id

)

select * from final
