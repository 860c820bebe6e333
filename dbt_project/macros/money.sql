{#-
  Money stays DECIMAL: DuckDB turns decimal / decimal into DOUBLE, so money divisions go
  through divide_decimal, which divides scaled HUGEINTs and rounds half away from zero.
  Multiplications widen to DECIMAL(38, x) first (DECIMAL(18,6) * DECIMAL(18,6) overflows
  above 1e6 otherwise).
-#}

{#- numerator / denominator rounded to `scale` places as DECIMAL(18, scale); null when the
    denominator is 0 or null. Inputs are read with 12 decimals (enough for amount * rate). -#}
{% macro divide_decimal(numerator, denominator, scale=2) -%}
    {%- set unit = '1' ~ ('0' * 12) -%}
    {%- set step = '0.' ~ ('0' * (scale - 1)) ~ '1' if scale > 0 else '1' -%}
    {%- set num = "cast(cast(" ~ numerator ~ " as decimal(38, 12)) * " ~ unit ~ " as hugeint)" -%}
    {%- set den = "cast(cast(" ~ denominator ~ " as decimal(38, 12)) * " ~ unit ~ " as hugeint)" -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(
            cast(
                sign({{ num }}) * sign({{ den }})
                * ((2 * abs({{ num }}) * cast(1{{ '0' * scale }} as hugeint) + abs({{ den }}))
                    // (2 * abs({{ den }})))
                as decimal(38, 0)
            ) * {{ step }}
            as decimal(18, {{ scale }})
        )
    end
{%- endmacro %}

{#- amount (any currency) * rate_to_reporting, rounded to 2 places: DECIMAL(18,2). -#}
{% macro to_reporting(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(38, 6)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- amount in from_currency converted into to_currency through the reporting rates of the same
    day: amount * rate_from / rate_to, DECIMAL(18,6). Same currency: unchanged. -#}
{% macro convert_between(amount, from_currency, to_currency, rate_from, rate_to) -%}
    case
        when {{ from_currency }} = {{ to_currency }} then cast({{ amount }} as decimal(18, 6))
        else {{ divide_decimal("cast(" ~ amount ~ " as decimal(38, 6)) * " ~ rate_from, rate_to, 6) }}
    end
{%- endmacro %}

{#- Join condition picking, from int_fx_rates (alias fx), the rate valid for currency on day. -#}
{% macro fx_rate_for(fx, currency, day) -%}
    {{ fx }}.currency = upper({{ currency }})
    and {{ day }} >= {{ fx }}.valid_from
    and {{ day }} < {{ fx }}.valid_to
{%- endmacro %}
