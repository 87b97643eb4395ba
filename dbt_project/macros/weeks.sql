{#
  The data's weeks: week 1 is Sunday 2017-01-01 alone, and every later week starts on a Monday
  (week 2 on 2017-01-02). Weekly marts are incremental by week.
#}

{% macro week_start_date(week) -%}
  if({{ week }} = 1, toDate('2017-01-01'), toDate('2017-01-02') + 7 * ({{ week }} - 2))
{%- endmacro %}

{% macro weeks_to_build(week_column='week', restated=none) -%}
  {#-
    Which weeks an incremental model (re)builds: the window in vars from_week/to_week when given
    (Dagster passes its partition), else on an incremental run the newest week already built and later
    (that week may have grown) and the weeks `restated` selects (a query of weeks whose rows, already
    built, no longer match what they were built from), else every week.
  -#}
  {%- if var('from_week', none) is not none -%}
    {{ week_column }} between {{ var('from_week') }} and {{ var('to_week', var('from_week')) }}
  {%- elif is_incremental() -%}
    ({{ week_column }} >= (select coalesce(max(week), 0) from {{ this }})
    {%- if restated is not none %} or {{ week_column }} in ({{ restated }}){% endif %})
  {%- else -%}
    1 = 1
  {%- endif -%}
{%- endmacro %}
