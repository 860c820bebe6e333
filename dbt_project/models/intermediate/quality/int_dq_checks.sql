{#-
  Cross-entity data-quality checks computed in dbt as of as_of_date (severity warn in
  dq_findings): the union of the rule models, one per rule family of expectations/rules.yml
  (int_dq_checks_<family>). One row per (rule, entity, record_id, column_name): rule, entity,
  record_id (the record's key as int_dq_records names it, macro record_id, so dq_findings finds
  the record's name there), owner_rep_id, column_name, value_seen, message.
-#}
with

freshness_rules as (

    select
        rule,
        entity,
        record_id,
        owner_rep_id,
        column_name,
        value_seen,
        message
    from {{ ref('int_dq_checks_freshness') }}

),

references_rules as (

    select
        rule,
        entity,
        record_id,
        owner_rep_id,
        column_name,
        value_seen,
        message
    from {{ ref('int_dq_checks_references') }}

),

completeness_rules as (

    select
        rule,
        entity,
        record_id,
        owner_rep_id,
        column_name,
        value_seen,
        message
    from {{ ref('int_dq_checks_completeness') }}

),

amounts_rules as (

    select
        rule,
        entity,
        record_id,
        owner_rep_id,
        column_name,
        value_seen,
        message
    from {{ ref('int_dq_checks_amounts') }}

),

ordering_rules as (

    select
        rule,
        entity,
        record_id,
        owner_rep_id,
        column_name,
        value_seen,
        message
    from {{ ref('int_dq_checks_ordering') }}

),

identity_rules as (

    select
        rule,
        entity,
        record_id,
        owner_rep_id,
        column_name,
        value_seen,
        message
    from {{ ref('int_dq_checks_identity') }}

),

final as (

    select * from freshness_rules
    union all
    select * from references_rules
    union all
    select * from completeness_rules
    union all
    select * from amounts_rules
    union all
    select * from ordering_rules
    union all
    select * from identity_rules

)

select * from final
