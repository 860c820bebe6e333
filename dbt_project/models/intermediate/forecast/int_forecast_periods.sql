{#-
  The periods the statistical forecast is made for, each with its origin: every quarter of the
  spine but the first, and the quarter after the one holding as_of_date. A quarter is
  forecast at origin_date = least(quarter_start − 1 day, as_of_date), from the months complete
  by then. One row for the quarter (period_type 'quarter') and one for each of its three
  months (period_type 'month'), labelled as int_periods labels them (var
  fiscal_year_start_month).
-#}
with

spine_quarters as (

    select
        period as forecast_quarter,
        period_start as quarter_start,
        period_end as quarter_end
    from {{ ref('int_periods') }}
    where period_type = 'quarter'

),

next_quarter as (

    select
        {{ period_label('cast(max(quarter_start) + interval 3 month as date)', 'quarter') }} as forecast_quarter,
        cast(max(quarter_start) + interval 3 month as date) as quarter_start,
        cast(max(quarter_start) + interval 6 month - interval 1 day as date) as quarter_end
    from spine_quarters

),

candidate_quarters as (

    select * from spine_quarters
    union all
    select * from next_quarter
    where forecast_quarter is not null

),

quarters as (

    select
        forecast_quarter,
        quarter_start,
        quarter_end,
        least(cast(quarter_start - interval 1 day as date), {{ as_of_date() }}) as origin_date
    from candidate_quarters
    where quarter_start > (select min(spine_quarters.quarter_start) from spine_quarters)

),

month_offsets as (

    select {{ unnest_range(0, 3) }} as month_offset

),

months as (

    select
        quarters.*,
        {{ add_months_to_date('quarters.quarter_start', 'cast(month_offsets.month_offset as integer)') }}
            as month_start
    from quarters
    cross join month_offsets

),

final as (

    select
        forecast_quarter,
        quarter_start,
        quarter_end,
        origin_date,
        'quarter' as period_type,
        forecast_quarter as period,
        quarter_start as period_start,
        quarter_end as period_end
    from quarters

    union all

    select
        forecast_quarter,
        quarter_start,
        quarter_end,
        origin_date,
        'month' as period_type,
        {{ period_label('month_start', 'month') }} as period,
        month_start as period_start,
        {{ period_end('month_start', 'month') }} as period_end
    from months

)

select * from final
