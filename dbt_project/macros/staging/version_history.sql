{#-
  Every version of every record in a raw table with the business dates it was valid on: the
  dbt twin of the warehouse view history.<entity> (pipelines/warehouse/schema.py). A version
  is valid from the business date of its load (valid_from_date: meta.loads.as_of_date, else,
  for a load missing from meta.loads, the local date of _loaded_at) until the business date of
  the load that brought the key's next version (valid_to_date, exclusive; null while current).
  The record as known on day D: valid_from_date <= D < coalesce(valid_to_date, infinity) and
  not is_deleted. Two loads on one business date: the earlier version is valid on no day.

  With var history_as_of_date, only loads on or before that date count (as current_versions).
-#}
{% macro version_history(relation, key_columns) -%}
    select
        {{ star_except('_business_date') }},
        _business_date as valid_from_date,
        lead(_business_date) over (
            partition by {{ key_columns | join(', ') }}
            order by _load_id, _source_row
        ) as valid_to_date
    from (
        select
            {{ star_except('_deleted', 'versions') }},
            coalesce(versions._deleted, false) as is_deleted,
            coalesce(loads.as_of_date, {{ local_date('versions._loaded_at') }}) as _business_date
        from {{ relation }} as versions
        left join {{ source('meta', 'loads') }} as loads
            on versions._load_id = loads.load_id
        {%- if var('history_as_of_date', none) %}
        where coalesce(loads.as_of_date, {{ local_date('versions._loaded_at') }})
            <= {{ history_as_of_date() }}
        {%- endif %}
    ) as dated
{%- endmacro %}

{#- Join condition: the version of `alias` (from version_history) valid on day `day`. -#}
{% macro valid_on(alias, day) -%}
    {{ alias }}.valid_from_date <= {{ day }}
    and ({{ alias }}.valid_to_date is null or {{ alias }}.valid_to_date > {{ day }})
    and not {{ alias }}.is_deleted
{%- endmacro %}
