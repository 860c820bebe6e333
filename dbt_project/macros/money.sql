{#-
  Money stays DECIMAL and never overflows: amounts and their sums are DECIMAL(38, s); DuckDB
  multiplies decimals in the width of the operands (DECIMAL(18,6) * DECIMAL(18,6) overflows
  above 10^6), so every multiplication of money casts to DECIMAL(38, s) first. DuckDB turns
  decimal / decimal into DOUBLE, so money divisions go through divide_decimal, which divides
  scaled HUGEINTs and rounds half away from zero. Rates keep their precision (DECIMAL(38,18)).
-#}

{#- numerator / denominator rounded to `scale` places as DECIMAL(38, scale); null when the
    denominator is 0 or null. Both are read with `input_scale` decimals (exact for money sums,
    scale 2, with the default 12) as HUGEINTs N and D; the quotient is long division: the
    whole part N // D, then (N % D) * 10^scale // D, rounded half away from zero on the
    remainder. Exact while |N|, |D| × 10^scale and the result × 10^scale stay below 1.7e38. -#}
{% macro divide_decimal(numerator, denominator, scale=2, input_scale=12) -%}
    {{- return(adapter.dispatch('divide_decimal', 'salesops')(numerator, denominator, scale, input_scale)) -}}
{%- endmacro %}

{% macro default__divide_decimal(numerator, denominator, scale=2, input_scale=12) -%}
    {%- set shift = "cast(1" ~ ('0' * scale) ~ " as hugeint)" -%}
    {%- set step = '0.' ~ ('0' * (scale - 1)) ~ '1' if scale > 0 else '1' -%}
    {%- set num = "abs(" ~ scaled_hugeint(numerator, input_scale) ~ ")" -%}
    {%- set den = "abs(" ~ scaled_hugeint(denominator, input_scale) ~ ")" -%}
    {%- set rest = "((" ~ num ~ " % " ~ den ~ ") * " ~ shift ~ ")" -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(
            cast(
                sign({{ numerator }}) * sign({{ denominator }})
                * (
                    ({{ num }} // {{ den }}) * {{ shift }}
                    + {{ rest }} // {{ den }}
                    + case when 2 * ({{ rest }} % {{ den }}) >= {{ den }} then 1 else 0 end
                )
                as decimal(38, 0)
            ) * {{ step }}
            as decimal(38, {{ scale }})
        )
    end
{%- endmacro %}

{#- value × 10^scale as a HUGEINT (value read as DECIMAL(38, scale)): the whole part and the
    fraction are scaled apart, so no intermediate decimal needs more than 38 digits. -#}
{% macro scaled_hugeint(value, scale) -%}
    {{- return(adapter.dispatch('scaled_hugeint', 'salesops')(value, scale)) -}}
{%- endmacro %}

{% macro default__scaled_hugeint(value, scale) -%}
    {%- set v = "cast(" ~ value ~ " as decimal(38, " ~ scale ~ "))" -%}
    (
        cast(trunc({{ v }}) as hugeint) * cast(1{{ '0' * scale }} as hugeint)
        + cast(({{ v }} - trunc({{ v }})) * 1{{ '0' * scale }} as hugeint)
    )
{%- endmacro %}

{#- amount × rate, exact to `scale` decimals (12 or 18; truncated toward zero),
    DECIMAL(38, scale): rounding it to fewer places gives the rounding of the exact product.
    The rate is split into its first 6 decimals (rate_6) and the rest (below 10^-6, an integer
    k of 10^-18): amount × rate_6 and amount × k fit DECIMAL(38, s) for any amount of the
    contract (DECIMAL(18,6)) and rate below 10^14 (with scale 18: a product below 10^20), where
    amount × rate at scale 24 would not. -#}
{% macro times_rate(amount, rate, scale=12) -%}
    {{- return(adapter.dispatch('times_rate', 'salesops')(amount, rate, scale)) -}}
{%- endmacro %}

{% macro default__times_rate(amount, rate, scale=12) -%}
    {%- set a = "abs(cast(" ~ amount ~ " as decimal(38, 6)))" -%}
    {%- set r = "cast(" ~ rate ~ " as decimal(38, 18))" -%}
    {%- set r6 = "(cast(floor(" ~ r ~ " * 1000000) as decimal(38, 0)) * cast(0.000001 as decimal(7, 6)))" -%}
    {%- set k = "cast((" ~ r ~ " - " ~ r6 ~ ") * cast(1000000000000000000 as decimal(19, 0)) as decimal(38, 0))" -%}
    {%- set shift = '1' if scale == 18 else 'cast(0.' ~ ('0' * (17 - scale)) ~ '1 as decimal(' ~ (19 - scale) ~ ', ' ~ (18 - scale) ~ '))' -%}
    cast(
        sign({{ amount }}) * (
            {{ a }} * {{ r6 }}
            + cast(floor({{ a }} * {{ k }} * {{ shift }}) as decimal(38, 0))
            * cast(0.{{ '0' * (scale - 1) }}1 as decimal({{ scale + 1 }}, {{ scale }}))
        )
        as decimal(38, {{ scale }})
    )
{%- endmacro %}

{#- amount (any currency) × rate_to_reporting, rounded half away from zero to 2 places:
    DECIMAL(38,2). -#}
{% macro to_reporting(amount, rate) -%}
    cast(round({{ times_rate(amount, rate) }}, 2) as decimal(38, 2))
{%- endmacro %}

{#- amount × weight (a share or probability, DECIMAL(9,6) or narrower) rounded to 2 places:
    DECIMAL(38,2), computed in DECIMAL(38, s) so that no total overflows. -#}
{% macro weighted_money(amount, weight) -%}
    cast(round(cast({{ amount }} as decimal(38, 2)) * cast({{ weight }} as decimal(9, 6)), 2) as decimal(38, 2))
{%- endmacro %}

{#- amount in from_currency converted into to_currency through the reporting rates of the same
    day: amount × rate_from / rate_to rounded to 6 places, DECIMAL(38,6). The caller passes
    amount × rate_from as `amount_times_rate_from`, computed in an earlier CTE as
    times_rate(amount, rate_from, 18) (exact to 18 decimals; one expression holding both steps
    is nested too deep for the SQL linter), and rate_to at 18 decimals. Same currency:
    unchanged. -#}
{% macro convert_between(amount, from_currency, to_currency, amount_times_rate_from, rate_to) -%}
    case
        when {{ from_currency }} = {{ to_currency }} then cast({{ amount }} as decimal(38, 6))
        else {{ divide_decimal(amount_times_rate_from, rate_to, 6, 18) }}
    end
{%- endmacro %}

{#- Join condition picking, from int_fx_rates (alias fx), the rate valid for currency on day. -#}
{% macro fx_rate_for(fx, currency, day) -%}
    {{ fx }}.currency = upper({{ currency }})
    and {{ day }} >= {{ fx }}.valid_from
    and {{ day }} < {{ fx }}.valid_to
{%- endmacro %}

{#- Spark: the same long division in DECIMAL(38, 0) (no HUGEINT): a // b is (a - a % b) / b, an
    exact integer; the sign by comparison (Spark's sign() is a DOUBLE). Exact while the
    scaled values stay below 10^38 and the quotient below 10^32. -#}
{% macro spark__divide_decimal(numerator, denominator, scale=2, input_scale=12) -%}
    {%- set shift = "cast(1" ~ ('0' * scale) ~ " as decimal(38, 0))" -%}
    {%- set step = '0.' ~ ('0' * (scale - 1)) ~ '1' if scale > 0 else '1' -%}
    {%- set num = "abs(" ~ scaled_hugeint(numerator, input_scale) ~ ")" -%}
    {%- set den = "abs(" ~ scaled_hugeint(denominator, input_scale) ~ ")" -%}
    {%- set rest = "cast((" ~ num ~ " % " ~ den ~ ") * " ~ shift ~ " as decimal(38, 0))" -%}
    {%- set whole = "cast((" ~ num ~ " - " ~ num ~ " % " ~ den ~ ") / " ~ den ~ " as decimal(38, 0))" -%}
    {%- set part = "cast((" ~ rest ~ " - " ~ rest ~ " % " ~ den ~ ") / " ~ den ~ " as decimal(38, 0))" -%}
    {%- set units -%}
        (
            cast({{ whole }} * {{ shift }} as decimal(38, 0))
            + {{ part }}
            + case when 2 * ({{ rest }} % {{ den }}) >= {{ den }} then 1 else 0 end
        )
    {%- endset -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(
            cast(
                case
                    when (({{ numerator }}) < 0) != (({{ denominator }}) < 0) then -{{ units }}
                    else {{ units }}
                end
                as decimal(38, 0)
            ) * {{ step }}
            as decimal(38, {{ scale }})
        )
    end
{%- endmacro %}

{#- Spark: value × 10^scale as DECIMAL(38, 0); the whole part is value - value % 1 (exact;
    Spark's trunc is for dates). -#}
{% macro spark__scaled_hugeint(value, scale) -%}
    {%- set v = "cast(" ~ value ~ " as decimal(38, " ~ scale ~ "))" -%}
    (
        cast(cast({{ v }} - {{ v }} % 1 as decimal(38, 0)) * cast(1{{ '0' * scale }} as decimal(38, 0)) as decimal(38, 0))
        + cast(({{ v }} % 1) * cast(1{{ '0' * scale }} as decimal(38, 0)) as decimal(38, 0))
    )
{%- endmacro %}

{#- Spark: the same split, with operands narrow enough that Spark keeps every decimal of a
    product or sum (it cuts the scale of a result wider than 38 digits down to 6): amount
    DECIMAL(18, 6) (the contract's), rate DECIMAL(32, 18) and rate_6 DECIMAL(19, 6) (rates below
    10^13); floor(amount × k × 10^(scale-18)) by integer division; the last shift by 10^-scale
    through the text 'qE-scale' (a DECIMAL(38, 0) times 10^-scale would cut the scale). The
    sign by comparison (Spark's sign() is a DOUBLE). -#}
{% macro spark__times_rate(amount, rate, scale=12) -%}
    {%- set a = "abs(cast(" ~ amount ~ " as decimal(18, 6)))" -%}
    {%- set r = "cast(" ~ rate ~ " as decimal(32, 18))" -%}
    {%- set r6 = "cast(floor(" ~ r ~ " * 1000000) / 1000000 as decimal(19, 6))" -%}
    {%- set k = "cast((" ~ r ~ " - cast(" ~ r6 ~ " as decimal(32, 18))) * 1000000000000000000 as decimal(18, 0))" -%}
    {%- set t = "cast(" ~ a ~ " * " ~ k ~ " * 1000000 as decimal(38, 0))" -%}
    {%- set d = "cast(1" ~ ('0' * (24 - scale)) ~ " as decimal(38, 0))" -%}
    {%- set q = "cast((" ~ t ~ " - " ~ t ~ " % " ~ d ~ ") / " ~ d ~ " as decimal(38, 0))" -%}
    {%- set product -%}
        (
            cast({{ a }} * {{ r6 }} as decimal(37, {{ scale }}))
            + cast(cast({{ q }} as string) || 'E-{{ scale }}' as decimal(37, {{ scale }}))
        )
    {%- endset -%}
    cast(
        case when ({{ amount }}) < 0 then -{{ product }} else {{ product }} end
        as decimal(38, {{ scale }})
    )
{%- endmacro %}
