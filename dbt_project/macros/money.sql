{#
  Money is exact: an amount is Decimal(18, 2) on a sales line and Decimal(38, 2) once summed, so
  917.79 is stored as 917.79. A ratio of amounts (a share, a lift, a growth) is a Float64 computed
  from the exact decimals: about 15 significant digits, far finer than any cent. A mean amount (per
  basket, per household, per week) is money again, rounded half away from zero to the cent.
#}

{% macro ratio(numerator, denominator) -%}
  toFloat64({{ numerator }}) / nullIf(toFloat64({{ denominator }}), 0)
{%- endmacro %}

{% macro mean_amount(total, count) -%}
  toDecimal128(round(toDecimal128({{ total }}, 4) / {{ count }}, 2), 2)
{%- endmacro %}
