{#-
  Opportunities with the close date used for attribution (a won/lost deal's closed_date: the
  CRM's close date as written, never moved by a timezone, else the local date of closed_at;
  without either, of last_modified_at), the owner's team and region at the attribution date (closed:
  the close date; open: as_of_date; int_sales_rep_history), the amount in the reporting
  currency (rate of the close date when closed, else of the creation date) and the stage
  probability from var stage_probabilities.
-#}
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

rep_history as (

    select * from {{ ref('int_sales_rep_history') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

classified as (

    select
        opportunities.*,
        opportunities.stage = 'won' as is_won,
        opportunities.stage = 'lost' as is_lost,
        opportunities.stage not in ('won', 'lost') as is_open,
        case
            when opportunities.stage in ('won', 'lost')
                then coalesce(opportunities.closed_at, opportunities.last_modified_at)
        end as close_at
    from opportunities

),

closed_on as (

    select
        *,
        case
            when is_won or is_lost then coalesce(closed_date, {{ local_date('close_at') }})
        end as close_date
    from classified

),

dated as (

    select
        *,
        coalesce(close_date, created_date) as valuation_date,
        coalesce(close_date, {{ as_of_date() }}) as attribution_date
    from closed_on

),

attributed as (

    select
        dated.*,
        rep_history.team,
        rep_history.region
    from dated
    left join rep_history
        on {{ rep_history_at('rep_history', 'dated.owner_rep_id', 'dated.attribution_date') }}

),

converted as (

    select
        attributed.opportunity_id,
        attributed.account_id,
        attributed.owner_rep_id,
        attributed.team,
        attributed.region,
        attributed.name,
        attributed.lead_id,
        attributed.product_line,
        attributed.stage,
        attributed.is_open,
        attributed.is_won,
        attributed.is_lost,
        attributed.created_at,
        attributed.created_date,
        attributed.expected_close_date,
        attributed.closed_at,
        attributed.last_modified_at,
        attributed.last_modified_date,
        attributed.close_at,
        attributed.close_date,
        attributed.valuation_date,
        attributed.attribution_date,
        attributed.currency,
        attributed.amount,
        fx.rate_to_reporting as fx_rate,
        {{ to_reporting('attributed.amount', 'fx.rate_to_reporting') }} as amount_reporting,
        {{ stage_probability('attributed.stage') }} as stage_probability,
        {{ date_diff('second', 'attributed.created_at', 'attributed.close_at') }} as sales_cycle_seconds,
        {{ seconds_as_days(date_diff('second', 'attributed.created_at', 'attributed.close_at')) }} as sales_cycle_days
    from attributed
    left join fx_rates as fx
        on {{ fx_rate_for('fx', 'attributed.currency', 'attributed.valuation_date') }}

),

final as (

    select
        *,
        case
            when is_open then {{ weighted_money('amount_reporting', 'stage_probability') }}
        end as weighted_amount_reporting
    from converted

)

select * from final
