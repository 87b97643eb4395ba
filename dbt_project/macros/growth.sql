{#
  Sales growth: a week against the week before, its last 4 weeks against the 4 before them (from week
  8, when both spans are whole), and against the same week a year (52 weeks) earlier. Sums come first,
  per `partition_by` over the data's weeks; the ratios are taken after, so growth across retailers is
  the growth of their summed sales.
#}

{% macro sales_of_earlier_weeks(partition_by) -%}
  {%- set frames = [
      ('sales_value_previous_week', '1 preceding and 1 preceding'),
      ('sales_value_last_4_weeks', '3 preceding and current row'),
      ('sales_value_prior_4_weeks', '7 preceding and 4 preceding'),
      ('sales_value_year_ago', '52 preceding and 52 preceding'),
  ] -%}
  {%- for name, frame in frames %}
        sum(sales_value) over (partition by {{ partition_by }} order by week range between {{ frame }}) as {{ name }}
        {%- if not loop.last %},{% endif %}
  {%- endfor %}
{%- endmacro %}

{% macro sales_growth() -%}
    {{ ratio('sales_value', 'sales_value_previous_week') }} - 1 as sales_growth_vs_previous_week,
    if(week >= 8, {{ ratio('sales_value_last_4_weeks', 'sales_value_prior_4_weeks') }} - 1, null)
        as sales_growth_last_4_weeks_vs_prior_4_weeks,
    {{ ratio('sales_value', 'sales_value_year_ago') }} - 1 as sales_growth_vs_year_ago
{%- endmacro %}
