{#- Snapshot integrity: fails with one row per calendar day between the first and the last
    value of the date column that has no row at all. -#}
{% test no_missing_days(model, column_name) %}

with

bounds as (

    select
        min({{ column_name }}) as first_day,
        max({{ column_name }}) as last_day
    from {{ model }}

),

calendar as (

    select {{ date_series('first_day', 'last_day', 'interval 1 day') }} as missing_day
    from bounds
    where first_day is not null

),

present as (

    select distinct {{ column_name }} as day
    from {{ model }}

)

select calendar.missing_day
from calendar
left join present
    on calendar.missing_day = present.day
where present.day is null

{% endtest %}
