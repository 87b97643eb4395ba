"""Apply the PII policy to a Spark DataFrame for a named table: the step between bronze and silver.

Python runs only where it must: tables whose policy keeps or drops every
column are a plain projection; the others go through ``mapInPandas`` so each
executor process builds one Presidio engine and reuses it for every batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql.types import StringType, StructField, StructType

from governance.apply import PolicyApplier
from governance.policy import ColumnRule, Policy, Treatment
from governance.tokenise import Tokeniser


def silver_schema(frame: DataFrame, policy: Policy, rules: dict[str, ColumnRule | None]) -> StructType:
    """The schema after the policy: kept columns keep their type, treated ones become strings."""
    fields = []
    for field in frame.schema.fields:
        rule = rules[field.name]
        if rule is None or rule.treatment is Treatment.KEEP:
            fields.append(field)
        elif rule.treatment is not Treatment.DROP:
            fields.append(StructField(policy.output_name(field.name, rule), StringType(), nullable=True))
    return StructType(fields)


def apply_policy(
    frame: DataFrame,
    table: str,
    policy: Policy,
    key: bytes,
    presidio_model: str,
    extra_rules: Mapping[str, ColumnRule | None] | None = None,
) -> DataFrame:
    """``frame`` with the policy for ``table`` applied; a column the policy lacks raises ``PolicyViolationError``.

    ``extra_rules`` treat columns the policy does not list because no landing
    file holds them (quarantine's raw record, its verdict); ``None`` keeps one.
    """
    extra = dict(extra_rules or {})
    listed = policy.rules_for(table, [name for name in frame.columns if name not in extra])
    rules = {name: extra[name] if name in extra else listed[name] for name in frame.columns}
    schema = silver_schema(frame, policy, rules)
    treated = [rule.treatment for rule in rules.values() if rule is not None]
    if all(treatment in (Treatment.KEEP, Treatment.DROP) for treatment in treated):
        return frame.select(*schema.fieldNames())
    masking = Treatment.MASK in treated

    def treat_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from governance.masking import text_masker  # in the Python worker: Presidio loads where it masks

        tokeniser = Tokeniser(key)
        masker = text_masker(presidio_model, tokeniser) if masking else None
        applier = PolicyApplier(policy, table, tokeniser, masker, rules)
        for batch in batches:
            yield applier.apply(batch)

    return frame.mapInPandas(treat_batches, schema)
