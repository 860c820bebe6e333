{#-
  Data-quality rules of family freshness (expectations/rules.yml) computed in dbt as of
  as_of_date: stale_open_opportunity (open, expected_close_date + stale_grace_days before
  as_of_date), opportunity_untouched (open, neither modified nor touched by an activity for
  more than untouched_days). Rows in the shape of int_dq_checks, which unions the families.
-#}
with

opportunities as (

    select * from {{ ref('int_opportunities_enriched') }}

),

activities as (

    select {{ star_except('processed_load_id') }} from {{ ref('int_activities') }}

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
        cast(expected_close_date as {{ type_text() }}) as value_seen,
        'open opportunity (stage ' || stage || ') was expected to close on '
        || cast(expected_close_date as {{ type_text() }}) || ', '
        || cast({{ date_diff('day', 'expected_close_date', as_of_date()) }} as {{ type_text() }})
        || ' days before ' || cast({{ as_of_date() }} as {{ type_text() }}) as message
    from known_opportunities
    where
        is_open
        and {{ add_days('expected_close_date', var('stale_grace_days') | int) }}
        < {{ as_of_date() }}

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
        cast(last_modified_date as {{ type_text() }}) as value_seen,
        'open opportunity (stage ' || stage || ') last modified on '
        || coalesce(cast(last_modified_date as {{ type_text() }}), '(never)') || ', last activity '
        || coalesce('on ' || cast(last_activity_date as {{ type_text() }}), 'never') || ': '
        || cast({{ date_diff('day', 'last_touch_date', as_of_date()) }} as {{ type_text() }})
        || ' days untouched before ' || cast({{ as_of_date() }} as {{ type_text() }})
        || ' (more than {{ var("untouched_days") | int }})' as message
    from last_touch
    where {{ date_diff('day', 'last_touch_date', as_of_date()) }} > {{ var('untouched_days') | int }}

),

final as (

    select * from stale_open_opportunity
    union all
    select * from opportunity_untouched

)

select * from final
