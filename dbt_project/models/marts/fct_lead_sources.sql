{#-
  Lead-source effectiveness per lead creation cohort: leads created in the period (local date
  <= as_of_date) by source, how many converted, and the rate.
-#}
with

periods as (

    select * from {{ ref('int_periods') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

flagged as (

    select
        lead_id,
        source,
        created_date,
        -- converted by the as-of date: a dated conversion counts only if it happened by then;
        -- an undated one (status or opportunity link only) counts as soon as it is seen
        case
            when converted_at is not null then converted_date <= {{ as_of_date() }}
            else coalesce(status = 'converted' or opportunity_id is not null, false)
        end as is_converted
    from leads
    where created_date <= {{ as_of_date() }}

),

by_cohort as (

    select
        periods.period_type,
        periods.period,
        periods.period_start,
        periods.period_end,
        flagged.source,
        count(*) as leads,
        count(*) filter (where flagged.is_converted) as converted
    from flagged
    inner join periods
        on flagged.created_date between periods.period_start and periods.period_end
    group by all

),

final as (

    select
        period_type,
        period,
        period_start,
        period_end,
        source,
        leads,
        converted,
        cast(converted as double) / cast(leads as double) as lead_conversion_rate
    from by_cohort

)

select * from final
