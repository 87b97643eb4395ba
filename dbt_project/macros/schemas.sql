{#
  Each layer is its own ClickHouse database named for what it holds (staging, category, promotions,
  loyalty), so analysts write category.category_sales_weekly rather than marts_category....
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
  {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
