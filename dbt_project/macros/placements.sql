{#- What the source's placement codes mean (The Complete Journey user guide). -#}

{% macro display_placement(code) -%}
  transform({{ code }},
    ['0', '1', '2', '3', '4', '5', '6', '7', '9', 'A'],
    ['not on display', 'store front', 'store rear', 'front end cap', 'mid-aisle end cap', 'rear end cap',
     'side-aisle end cap', 'in-aisle', 'secondary location display', 'in-shelf'],
    'unknown code')
{%- endmacro %}

{% macro mailer_placement(code) -%}
  transform({{ code }},
    ['0', 'A', 'C', 'D', 'F', 'H', 'J', 'L', 'P', 'X', 'Z'],
    ['not in mailer', 'interior page feature', 'interior page line item', 'front page feature',
     'back page feature', 'wrap front feature', 'wrap interior coupon', 'wrap back feature',
     'interior page coupon', 'free on interior page', 'free on front, back or wrap'],
    'unknown code')
{%- endmacro %}
