{#-
  Every raw version of every parent entity of macros/deleted_parents.sql (accounts,
  opportunities, orders), deletion markers included, no history_as_of_date filter: the key,
  the parent the version belongs to (belongs_to_id: an order's or opportunity's account) and
  the load. The incremental facts recompute the records of a parent with a version newer than
  their watermark (deleted, or exported again: keys_with_parent_changes).
-#}
{%- set registry = {'references': parent_references(), 'entities': parent_entities()} -%}
with

final as (

    {% for parent in parent_entities_in_order(registry) -%}
    {%- set spec = registry['entities'][parent] -%}
    {%- set references = registry['references'].get(parent, []) -%}
    {%- if references | length > 1 -%}
        {{ exceptions.raise_compiler_error("a parent entity belongs to one parent at most: " ~ parent) }}
    {%- endif -%}
    select
        '{{ parent }}' as entity,
        {{ spec['key'][0] }} as parent_id,
        {%- if references %}
        {{ references[0]['column'] }} as belongs_to_id,
        {%- else %}
        cast(null as {{ type_text() }}) as belongs_to_id,
        {%- endif %}
        _load_id as load_id
    from {{ source(spec['source'], parent) }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}

)

select * from final
