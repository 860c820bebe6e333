{#- Fails with the rows whose movements do not lead from the opening to the closing balance:
    opening + new + pulled_in + transferred_in + amount_up - amount_down - pushed_out - won
    - lost - transferred_out != closing (fct_pipeline_waterfall). Exact: the columns are
    DECIMAL. -#}
{% test waterfall_balances(model) %}

select *
from {{ model }}
where
    opening_balance + new_amount + pulled_in + transferred_in + amount_up
    - amount_down - pushed_out - won - lost - transferred_out
    != closing_balance

{% endtest %}
