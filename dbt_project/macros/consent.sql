{#-
  The one consent filter: a condition keeping only households whose latest profile gives marketing
  consent. Every personalisation output and export uses it, so a withdrawal (a newer profile with
  consent false) takes effect on the next build of each of them. A household with no profile has not
  consented.
-#}
{% macro has_marketing_consent(household_id_column) %}
    {{ household_id_column }} in (
        select household_id
        from {{ ref('stg_silver__customers') }}
        where has_marketing_consent
    )
{% endmacro %}
