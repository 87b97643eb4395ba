{#
  Stops the build when a table has no rows, naming it: an empty silver table must never turn into marts
  that are empty but look fine. The engine raises the message, so dbt shows it as it is. Silver sources
  are read from the lake; a missing one fails already on reading, with its path in the error.
#}
{% test has_rows(model) %}
  {%- set is_lake_source = model.schema == 'silver' -%}
  {%- set relation = lake_delta(model.identifier) if is_lake_source else model -%}
  {%- set table_name = 'silver.' ~ model.identifier if is_lake_source else model | string -%}
  select row_count
  from (select count() as row_count from {{ relation }})
  where throwIf(row_count = 0, '{{ table_name }} has no rows (rule has_rows): nothing to build the marts from') != 0
{% endtest %}
