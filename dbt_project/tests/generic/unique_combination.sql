{#- Fails with one row per duplicated combination of the given columns (null-safe: a null
    counts as a value). Package-free stand-in for dbt_utils.unique_combination_of_columns. -#}
{% test unique_combination(model, combination_of_columns) %}

with

grouped as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as n_rows
    from {{ model }}
    group by all
    having count(*) > 1

)

select * from grouped

{% endtest %}
