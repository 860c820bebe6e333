{#-
  The organisation levels of the marts: company ('all'), region, team and rep. Use
  `cross join ({{ scope_levels() }}) as levels` and `{{ scope_id_for('levels.level', rep,
  team, region) }}`; rows whose scope_id is null (a rep without a team) are dropped by the
  caller. int_sales_event_scopes fans every sales event out with them, int_order_scopes every
  order.
-#}
{% macro scope_levels() -%}
    select {{ unnest_values(["'company'", "'region'", "'team'", "'rep'"]) }} as level
{%- endmacro %}

{% macro scope_id_for(level, rep_id, team, region) -%}
    case {{ level }}
        when 'company' then 'all'
        when 'region' then {{ region }}
        when 'team' then {{ team }}
        when 'rep' then {{ rep_id }}
    end
{%- endmacro %}

{#- Weighted amount of an open opportunity: amount_reporting × stage_probability(stage),
    rounded to 2 places (the rule of int_opportunities_enriched.weighted_amount_reporting). -#}
{% macro weighted_amount(amount_reporting, stage) -%}
    {{ weighted_money(amount_reporting, stage_probability(stage)) }}
{%- endmacro %}
