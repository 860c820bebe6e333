{#-
  The one place that decides which rate converts an amount: the latest fx_rates row for the
  currency on or before the event date; the reporting currency converts at 1 (rows quoting it
  are ignored); non-positive rates count as no quote. Consumers join with
  {{ fx_rate_for('fx', 'x.currency', 'x.event_date') }} (macros/money.sql).
-#}
with

fx_rates as (

    select * from {{ ref('stg_finance__fx_rates') }}

),

quotes as (

    select
        upper(currency) as currency,
        rate_date,
        -- the rate as quoted, every digit kept (at least 10 significant digits)
        cast(rate_to_reporting as decimal(38, 18)) as rate_to_reporting
    from fx_rates
    where
        upper(currency) != {{ reporting_currency() }}
        and rate_to_reporting > 0

),

validity as (

    select
        currency,
        rate_date as valid_from,
        coalesce(
            lead(rate_date) over (partition by currency order by rate_date),
            cast('9999-12-31' as date)
        ) as valid_to,
        rate_to_reporting
    from quotes

),

reporting as (

    select
        {{ reporting_currency() }} as currency,
        cast('0001-01-01' as date) as valid_from,
        cast('9999-12-31' as date) as valid_to,
        cast(1 as decimal(38, 18)) as rate_to_reporting

),

final as (

    select * from validity
    union all
    select * from reporting

)

select * from final
