{#
  Source freshness for the silver zone: the lake's tables are read through the Delta table function,
  since a ClickHouse server need not have them registered as tables.
#}
{% macro clickhouse__collect_freshness(source, loaded_at_field, filter) %}
  {% call statement('collect_freshness', fetch_result=True, auto_begin=False) -%}
    select
      max({{ loaded_at_field }}) as max_loaded_at,
      {{ current_timestamp() }} as snapshotted_at
    from {{ lake_delta(source.identifier) if source.schema == 'silver' else source }}
    {% if filter %}
    where {{ filter }}
    {% endif %}
  {% endcall %}
  {{ return(load_result('collect_freshness')) }}
{% endmacro %}
