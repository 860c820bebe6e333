{#-
  The gone records of every parent entity of macros/deleted_parents.sql (accounts,
  opportunities, orders): deleted by a full export, or gone with their own parent. What the
  incremental facts read to drop a record whose parent is gone (current_versions_of with
  `entity`), as the staging models do.
-#}
{%- set registry = {'references': parent_references(), 'entities': parent_entities()} -%}
with

{% for parent in parent_entities_in_order(registry) -%}
gone_{{ parent }} as (

    {{ gone_records(parent, registry) }}

),

{% endfor -%}
final as (

    {% for parent in parent_entities_in_order(registry) -%}
    select
        '{{ parent }}' as entity,
        {{ registry['entities'][parent]['key'][0] }} as parent_id,
        min(deleted_load_id) as deleted_load_id
    from gone_{{ parent }}
    group by {{ registry['entities'][parent]['key'][0] }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

)

select * from final
