{#- Fails with each combination of the columns that occurs more than once: the model's grain is broken. -#}
{% test unique_combination_of_columns(model, combination) %}
  select
    {{ combination | join(', ') }},
    count() as occurrences
  from {{ model }}
  group by {{ combination | join(', ') }}
  having occurrences > 1
{% endtest %}
