{#-
  The periods a pipeline waterfall is read for, with its two dates: those of int_periods that
  have begun by as_of_date and end on or after the first load's business date. opening_date =
  the day before period_start; closing_date = period_end, or as_of_date while the period runs;
  is_history_complete = false when nothing was loaded by the opening date.
-#}
with

loads as (

    select * from {{ ref('stg_meta__loads') }}

),

periods as (

    select * from {{ ref('int_periods') }}

),

first_load as (

    select min(as_of_date) as first_day
    from loads

),

windows as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        cast(periods.period_start - interval 1 day as date) as opening_date,
        least(periods.period_end, {{ as_of_date() }}) as closing_date,
        cast(periods.period_start - interval 1 day as date) >= first_load.first_day as is_history_complete
    from periods
    cross join first_load
    where
        periods.period_start <= {{ as_of_date() }}
        and periods.period_end >= first_load.first_day

)

select * from windows
