{#
  The Delta lake's tables (the silver zone, and the landing's recorded figures), read through ClickHouse's Delta
  table functions. One place turns the lake URI into the call: a local folder becomes
  deltaLakeLocal('<folder>/<path>'), S3 becomes deltaLake(<named collection>, filename = '<path>/'), so no key ever
  appears in SQL.
  The named collection holds the lake's URL and keys: the embedded warehouse creates `lake`; on a ClickHouse
  server an administrator creates it once (see README).
#}

{% macro lake_delta(table) -%}
  {{ return(lake_delta_at('silver/' ~ table)) }}
{%- endmacro %}

{% macro lake_delta_at(path) -%}
  {{ return(adapter.dispatch('lake_delta_at', 'consumer_insight')(path)) }}
{%- endmacro %}

{% macro clickhouse__lake_delta_at(path) -%}
  {%- set root = var('lake_uri') | trim -%}
  {%- if not root -%}
    {{ exceptions.raise_compiler_error(
        path ~ ": the lake root is not set; set LAKEHOUSE_LAKE_URI to the lake folder or "
        ~ "s3://bucket/prefix (`lakehouse dbt` sets it from the platform settings)") }}
  {%- endif -%}
  {%- if root.startswith('s3://') or root.startswith('s3a://') -%}
    deltaLake({{ var('lake_named_collection') }}, filename = '{{ path }}/')
  {%- elif root.startswith('/') -%}
    deltaLakeLocal('{{ root.rstrip('/') }}/{{ path }}')
  {%- else -%}
    {{ exceptions.raise_compiler_error(
        path ~ ": lake root '" ~ root ~ "' is neither an absolute folder nor an s3:// URI") }}
  {%- endif -%}
{%- endmacro %}

{% macro lake_source(table) -%}
  {#- Records the dependency on source('silver', table) for lineage, and reads the table from the lake. -#}
  {%- set declared = source('silver', table) -%}
  {{ lake_delta(declared.identifier) }}
{%- endmacro %}
