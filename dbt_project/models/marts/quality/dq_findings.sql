{{ config(materialized='view') }}

{#- Deprecated: the compatibility name of fct_dq_findings for one release; removed in the next. -#}
select
    finding_id,
    rule,
    severity,
    entity,
    record_id,
    record_name,
    owner_rep_id,
    column_name,
    value_seen,
    message,
    first_seen_load,
    last_seen_load,
    is_open,
    resolved_load
from {{ ref('fct_dq_findings') }}
