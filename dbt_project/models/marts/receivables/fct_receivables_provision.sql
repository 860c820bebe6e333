{#-
  Expected-loss provision on the receivables aging: one row per row of fct_receivables_aging
  (as_of_date, order_id, receivable_id), with the loss rate of its aging bucket (var
  receivables_loss_rates) and expected_loss = outstanding × loss_rate, rounded half away from
  zero to 2 places. Sum expected_loss by aging_bucket (and scope) for the provision by bucket.
-#}
with

balances as (

    select * from {{ ref('int_receivables_balances') }}

),

rated as (

    select
        as_of_date,
        order_id,
        receivable_id,
        invoice_id,
        account_id,
        rep_id,
        team,
        region,
        currency,
        due_date,
        outstanding_original,
        outstanding,
        days_overdue,
        aging_bucket,
        {{ loss_rate('aging_bucket') }} as loss_rate
    from balances
    where is_aging_snapshot

),

final as (

    select
        *,
        {{ weighted_money('outstanding', 'loss_rate') }} as expected_loss
    from rated

)

select * from final
