{#
  Fails when a table has no rows, naming it: an empty or missing silver table must stop the build
  rather than produce marts that are empty but look fine. Silver sources are read from the lake.
#}
{% test has_rows(model) %}
  {%- set is_lake_source = model.schema == 'silver' -%}
  {%- set relation = lake_delta(model.identifier) if is_lake_source else model -%}
  {%- set table_name = 'silver.' ~ model.identifier if is_lake_source else model | string -%}
  select '{{ table_name }} has no rows: nothing to build the marts from' as failure
  from (select count() as row_count from {{ relation }})
  where row_count = 0
{% endtest %}
