{#-
  The current records that left with a parent a full export deleted (macros/deleted_parents.sql),
  in the shape of int_dq_checks without the rule: one row per record and reference, naming the
  record, the parent and the load that deleted it; int_dq_checks_references reports them as
  rule parent_deleted.
-#}
{%- set registry = {'references': parent_references(), 'entities': parent_entities()} -%}
with

final as (

    {{ parent_deleted_findings(registry, parent_entities_in_order(registry)) }}

)

select * from final
