{#
  The silver zone of the Delta lake, read through ClickHouse's Delta table functions.
  One place turns the lake URI into the call: a local folder becomes deltaLakeLocal('<folder>/silver/<table>'),
  S3 becomes deltaLake(<named collection>, filename = 'silver/<table>/'), so no key ever appears in SQL.
  The named collection holds the lake's URL and keys: the embedded warehouse creates `lake`; on a ClickHouse
  server an administrator creates it once (see README).
#}

{% macro lake_delta(table) -%}
  {{ return(adapter.dispatch('lake_delta', 'consumer_insight')(table)) }}
{%- endmacro %}

{% macro clickhouse__lake_delta(table) -%}
  {%- set root = var('lake_uri') | trim -%}
  {%- if not root -%}
    {{ exceptions.raise_compiler_error(
        "silver." ~ table ~ ": the lake root is not set; set LAKEHOUSE_LAKE_URI to the lake folder or "
        ~ "s3://bucket/prefix (`lakehouse dbt` sets it from the platform settings)") }}
  {%- endif -%}
  {%- if root.startswith('s3://') or root.startswith('s3a://') -%}
    deltaLake({{ var('lake_named_collection') }}, filename = 'silver/{{ table }}/')
  {%- elif root.startswith('/') -%}
    deltaLakeLocal('{{ root.rstrip('/') }}/silver/{{ table }}')
  {%- else -%}
    {{ exceptions.raise_compiler_error(
        "silver." ~ table ~ ": lake root '" ~ root ~ "' is neither an absolute folder nor an s3:// URI") }}
  {%- endif -%}
{%- endmacro %}

{% macro lake_source(table) -%}
  {#- Records the dependency on source('silver', table) for lineage, and reads the table from the lake. -#}
  {%- set declared = source('silver', table) -%}
  {{ lake_delta(declared.identifier) }}
{%- endmacro %}
