{#-
  The hierarchy as it was: the join condition of a row to the int_sales_rep_history interval of
  its rep on a date (valid_from <= on_date < valid_to), the one rule by which every fact takes
  the team and region of its rep at the event's date:
  `left join rep_history on {{ rep_history_at('rep_history', 'orders.rep_id', 'orders.ordered_date') }}`.
-#}
{% macro rep_history_at(history, rep_id, on_date) -%}
    {{ rep_id }} = {{ history }}.rep_id
    and {{ on_date }} >= {{ history }}.valid_from
    and {{ on_date }} < {{ history }}.valid_to
{%- endmacro %}
