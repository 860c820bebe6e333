{#-
  Records that leave with a deleted parent (docs/DECISIONS.md, "Deletions are versions, with a
  guard"): the one place that lists which records belong to which parent, and the SQL every
  layer uses for it.

  A record is gone when its latest version is a deletion marker (a full export no longer
  carried it), or when the parent it belongs to is gone: an order deleted by a full orders
  export takes its lines and invoices with it, an account its orders (and their lines), its
  opportunities (and their stage history), activities and surveys. A gone record is in no
  current staging model (current_versions, by the raw table's name), no incremental fact
  (current_versions_of with `entity`, by stg_meta__gone_parents; recomputed by
  keys_with_parent_changes) and no figure; each one the parent takes with it is a finding
  parent_deleted (stg_meta__records_left_with_parent, int_dq_checks_references) naming
  the record, the parent and the load that deleted it. It comes back when the parent is
  exported again. Payments are money received: they stay, without their order when it is gone
  (int_payments_enriched.has_order false: unapplied in receivables).
-#}

{#- Child entity -> its references to the parent it belongs to: column, parent entity. -#}
{% macro parent_references() -%}
    {{- return({
        'orders': [{'column': 'account_id', 'parent': 'accounts'}],
        'order_lines': [{'column': 'order_id', 'parent': 'orders'}],
        'invoices': [{'column': 'order_id', 'parent': 'orders'}],
        'opportunities': [{'column': 'account_id', 'parent': 'accounts'}],
        'opportunity_stage_history': [{'column': 'opportunity_id', 'parent': 'opportunities'}],
        'activities': [
            {'column': 'opportunity_id', 'parent': 'opportunities'},
            {'column': 'account_id', 'parent': 'accounts'},
        ],
        'satisfaction_surveys': [{'column': 'account_id', 'parent': 'accounts'}],
    }) -}}
{%- endmacro %}

{#- The entities of parent_references: source, contract key, the column naming the record's
    owner rep (none: the parent's owner is the record's), the record's name in messages, and
    its raw-versions staging model when an incremental fact reads it. -#}
{% macro parent_entities() -%}
    {{- return({
        'accounts': {'source': 'crm', 'key': ['account_id'], 'owner': 'owner_rep_id', 'label': 'account'},
        'opportunities': {'source': 'crm', 'key': ['opportunity_id'], 'owner': 'owner_rep_id', 'label': 'opportunity'},
        'opportunity_stage_history': {'source': 'crm', 'key': ['opportunity_id', 'stage', 'entered_at'], 'owner': none, 'label': 'stage history row'},
        'activities': {'source': 'crm', 'key': ['activity_id'], 'owner': 'rep_id', 'label': 'activity', 'raw_versions': 'stg_crm__activity_raw_versions'},
        'satisfaction_surveys': {'source': 'crm', 'key': ['account_id', 'surveyed_at'], 'owner': none, 'label': 'survey'},
        'orders': {'source': 'erp', 'key': ['order_id'], 'owner': 'rep_id', 'label': 'order', 'raw_versions': 'stg_erp__order_raw_versions'},
        'order_lines': {'source': 'erp', 'key': ['order_id', 'line_no'], 'owner': none, 'label': 'order line', 'raw_versions': 'stg_erp__order_line_raw_versions'},
        'invoices': {'source': 'erp', 'key': ['invoice_id'], 'owner': none, 'label': 'invoice', 'raw_versions': 'stg_erp__invoice_raw_versions'},
    }) -}}
{%- endmacro %}

{#- {'references': parent_references(), 'entities': parent_entities()}: the macros below take
    it as `registry` (a model passes it in: SQLFluff's templater cannot return values from
    macros called by macros) and fetch it when it is none. -#}
{% macro parent_registry(registry=none) -%}
    {%- if registry is none -%}
        {{- return({'references': parent_references(), 'entities': parent_entities()}) -}}
    {%- endif -%}
    {{- return(registry) -}}
{%- endmacro %}

{#- The gone records of `entity`: its key columns and deleted_load_id, the load that deleted
    it or the parent it left with (transitively). A record gone with two parents is listed
    twice. -#}
{% macro gone_records(entity, registry=none, gone_relations={}) -%}
    {%- set registry = registry or parent_registry() -%}
    {%- set spec = registry['entities'][entity] -%}
    {%- set relation = source(spec['source'], entity) %}
    {#- only records with a deletion marker among their versions can be deleted: ranked alone -#}
    {%- set marked -%}
        (
            select * from {{ relation }}
            where {{ spec['key'][0] }} in (
                select {{ spec['key'][0] }} from {{ relation }} where _deleted
            )
        ) as marked
    {%- endset %}
    select
        {{ spec['key'] | join(', ') }},
        _load_id as deleted_load_id
    from ({{ latest_versions(marked, spec['key']) }}) as latest
    where coalesce(_deleted, false)
    {%- for reference in registry['references'].get(entity, []) %}
    union all
    {{ left_with_parent(entity, reference, registry=registry, gone_relations=gone_relations) }}
    {%- endfor %}
{%- endmacro %}

{#- The live current records of `entity` whose `reference` parent is gone: key columns,
    `extra_columns`, deleted_load_id. `gone_relations`: {parent entity: a relation (CTE) of its
    gone_records} to read instead of computing them. -#}
{% macro left_with_parent(entity, reference, extra_columns=[], registry=none, gone_relations={}) -%}
    {%- set registry = registry or parent_registry() -%}
    {%- set spec = registry['entities'][entity] -%}
    {%- set parent_key = registry['entities'][reference['parent']]['key'][0] -%}
    {%- set relation = source(spec['source'], entity) %}
    {%- set gone_parents -%}
        select
            gone.{{ parent_key }} as parent_id,
            min(gone.deleted_load_id) as deleted_load_id
        {%- if reference['parent'] in gone_relations %}
        from {{ gone_relations[reference['parent']] }} as gone
        {%- else %}
        from ({{ gone_records(reference['parent'], registry, gone_relations) }}) as gone
        {%- endif %}
        group by gone.{{ parent_key }}
    {%- endset %}
    {#- only records with a version naming a gone parent can have one now: every version of
        those records (the latest may name another parent) is ranked, no other -#}
    {%- set named -%}
        (
            select * from {{ relation }}
            where {{ spec['key'][0] }} in (
                select {{ spec['key'][0] }} from {{ relation }}
                where {{ reference['column'] }} in (select parent_id from ({{ gone_parents }}) as gone_ids)
            )
        ) as named
    {%- endset %}
    select
        {%- for column in spec['key'] + extra_columns %}
        child.{{ column }},
        {%- endfor %}
        gone_parent.deleted_load_id
    from (
        select * from ({{ latest_versions(named, spec['key']) }}) as latest
        where not coalesce(_deleted, false)
    ) as child
    inner join ({{ gone_parents }}) as gone_parent
        on child.{{ reference['column'] }} = gone_parent.parent_id
{%- endmacro %}

{#- Condition (starting with `and`) that the parents of the record in scope (columns of
    `entity` unqualified) are not gone. -#}
{% macro parents_live_condition(entity, registry=none) -%}
    {%- set registry = registry or parent_registry() -%}
    {%- for reference in registry['references'].get(entity, []) %}
    {%- set parent_key = registry['entities'][reference['parent']]['key'][0] %}
        and (
            {{ reference['column'] }} is null
            or {{ reference['column'] }} not in (
                select gone_parent.{{ parent_key }}
                from ({{ gone_records(reference['parent'], registry) }}) as gone_parent
            )
        )
    {%- endfor %}
{%- endmacro %}

{#- Incremental path: the `fact_key` values (a column of `entity`, read from its raw-versions
    model) of the records of `entity` whose parent (or a parent of it, transitively) has a raw
    version newer than the CTE `watermark` (stg_meta__parent_versions): a parent deleted, or
    exported again, since the fact's last run. -#}
{% macro keys_with_parent_changes(entity, fact_key, registry=none) -%}
    {%- set registry = registry or parent_registry() -%}
    {%- set spec = registry['entities'][entity] -%}
    select child.{{ fact_key }} from {{ ref(spec['raw_versions']) }} as child
    where
        child.{{ fact_key }} is not null
        and (
            false
            {%- for reference in registry['references'].get(entity, []) %}
            or child.{{ reference['column'] }} in (
                {{ changed_parent_ids(reference['parent'], registry) }}
            )
            {%- endfor %}
        )
{%- endmacro %}

{#- The ids of the `parent` records with a version newer than the CTE `watermark`, or whose
    own parent has one (transitively), from stg_meta__parent_versions (its belongs_to_id is the
    parent's own reference; a parent entity has at most one). -#}
{% macro changed_parent_ids(parent, registry) -%}
    select changed.parent_id from {{ ref('stg_meta__parent_versions') }} as changed
    where
        changed.entity = '{{ parent }}'
        and (
            changed.load_id > (select load_id from watermark)
            {%- for reference in registry['references'].get(parent, []) %}
            or changed.belongs_to_id in ({{ changed_parent_ids(reference['parent'], registry) }})
            {%- endfor %}
        )
{%- endmacro %}

{#- Incremental path: condition (starting with `and`) that the parents of the record in scope
    (columns of `entity` unqualified) are not gone, by stg_meta__gone_parents. -#}
{% macro parents_not_gone(entity, registry=none) -%}
    {%- set registry = registry or parent_registry() -%}
    {%- for reference in registry['references'].get(entity, []) %}
        and (
            {{ reference['column'] }} is null
            or {{ reference['column'] }} not in (
                select gone_parent.parent_id from {{ ref('stg_meta__gone_parents') }} as gone_parent
                where gone_parent.entity = '{{ reference['parent'] }}'
            )
        )
    {%- endfor %}
{%- endmacro %}

{#- The parent entities of the registry, each after its own parents. -#}
{% macro parent_entities_in_order(registry) -%}
    {%- set parents = [] -%}
    {%- for child, references in registry['references'].items() -%}
        {%- for reference in references if reference['parent'] not in parents -%}
            {%- do parents.append(reference['parent']) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set ordered = [] -%}
    {%- for _ in parents -%}
        {%- for parent in parents if parent not in ordered -%}
            {%- set ns_ready = namespace(ready=true) -%}
            {%- for reference in registry['references'].get(parent, []) -%}
                {%- if reference['parent'] not in ordered -%}{%- set ns_ready.ready = false -%}{%- endif -%}
            {%- endfor -%}
            {%- if ns_ready.ready -%}{%- do ordered.append(parent) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(ordered) -}}
{%- endmacro %}

{#- Findings parent_deleted (rule catalogue expectations/rules.yml), in the shape of
    int_dq_checks without the rule column (int_dq_checks_references adds it): one per current
    record of a child entity whose parent is gone, per reference, naming the record, the
    reference column, the parent and the load that deleted it (or the parent the parent left
    with). Owner: the record's owner rep, else its parent's. `parents`:
    parent_entities_in_order(registry), when the caller has it. -#}
{% macro parent_deleted_findings(registry=none, parents=none) -%}
    {%- set registry = registry or parent_registry() -%}
    {%- set entities = registry['entities'] -%}
    {#- the gone records of each parent entity once, as CTEs, parents before their children -#}
    {%- set gone_relations = {} %}
    with
    {%- for parent in parents or parent_entities_in_order(registry) %}
    gone_{{ parent }} as (
        {{ gone_records(parent, registry, gone_relations) }}
    ),
    {%- do gone_relations.update({parent: 'gone_' ~ parent}) %}
    {%- endfor %}

    findings as (
    {%- set ns = namespace(first=true) -%}
    {%- for entity, references in registry['references'].items() %}
    {%- set spec = entities[entity] %}
    {%- set key_text = [] %}
    {%- for column in spec['key'] %}
    {%- do key_text.append(key_timestamp_text('orphan.' ~ column) if column == 'entered_at' else 'orphan.' ~ column) %}
    {%- endfor %}
    {%- for reference in references %}
    {%- set parent = entities[reference['parent']] %}
    {%- set extra = ([spec['owner']] if spec['owner'] else [])
        + ([reference['column']] if reference['column'] not in spec['key'] else []) %}
    {%- if not ns.first %}
    union all
    {%- endif %}
    {%- set ns.first = false %}
    select
        '{{ entity }}' as entity,
        {{ record_id(key_text) }} as record_id,
        {%- if spec['owner'] %}
        orphan.{{ spec['owner'] }} as owner_rep_id,
        {%- else %}
        parent_version.{{ parent['owner'] }} as owner_rep_id,
        {%- endif %}
        '{{ reference['column'] }}' as column_name,
        orphan.{{ reference['column'] }} as value_seen,
        'the {{ parent['label'] }} ' || orphan.{{ reference['column'] }}
        || ' this {{ spec['label'] }} belongs to was deleted by a full export (load '
        || cast(orphan.deleted_load_id as {{ type_text() }})
        || '): the {{ spec['label'] }} left the current figures with it' as message
    from (
        {{ left_with_parent(entity, reference, extra_columns=extra, registry=registry, gone_relations=gone_relations) }}
    ) as orphan
    {%- if not spec['owner'] %}
    left join ({{ latest_versions(source(parent['source'], reference['parent']), parent['key']) }}) as parent_version
        on orphan.{{ reference['column'] }} = parent_version.{{ parent['key'][0] }}
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
    )

    select * from findings
{%- endmacro %}

{#- Renders nothing: names with ref() what the incremental path of a fact over `entity`
    reads (keys_with_parent_changes, current_versions_of with `entity`): stg_meta__gone_parents,
    stg_meta__parent_versions and the raw-versions models of `entity` and its parents,
    transitively, so that dbt records them as dependencies. A unit test of such a model gives
    them (rows: []). -#}
{% macro depends_on_parent_models(entity, registry=none) -%}
    {%- set registry = registry or parent_registry() -%}
    {%- do ref('stg_meta__gone_parents') -%}
    {%- do ref('stg_meta__parent_versions') -%}
    {%- if registry['entities'][entity].get('raw_versions') -%}
        {%- do ref(registry['entities'][entity]['raw_versions']) -%}
    {%- endif -%}
    {%- for reference in registry['references'].get(entity, []) -%}
        {%- do depends_on_parent_models(reference['parent'], registry) -%}
    {%- endfor -%}
{%- endmacro %}
