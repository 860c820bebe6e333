{#- Fails with one row per target whose finer targets do not add up to it (column_name =
    'differs', see fct_targets.add_up_status). Configure severity warn: a finding, not an error. -#}
{% test targets_add_up(model, column_name) %}

select *
from {{ model }}
where {{ column_name }} = 'differs'

{% endtest %}
