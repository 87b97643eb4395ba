"""Apply the PII policy to a Spark DataFrame for a named table: the step between bronze and silver.

Python runs only where it must: tables whose policy keeps or drops every
column are a plain projection; the others go through ``mapInPandas`` so each
executor process builds one Presidio engine and reuses it for every batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql.types import StringType, StructField, StructType

from governance.apply import PolicyApplier, needs_masker
from governance.masking import text_masker
from governance.policy import Policy, Treatment
from governance.tokenise import Tokeniser


def silver_schema(frame: DataFrame, table: str, policy: Policy) -> StructType:
    """The schema after the policy: kept columns keep their type, treated ones become strings."""
    rules = policy.rules_for(table, frame.columns)
    fields = []
    for field in frame.schema.fields:
        rule = rules[field.name]
        if rule is None or rule.treatment is Treatment.KEEP:
            fields.append(field)
        elif rule.treatment is not Treatment.DROP:
            fields.append(StructField(policy.output_name(field.name, rule), StringType(), nullable=True))
    return StructType(fields)


def policy_runs_python(policy: Policy, table: str) -> bool:
    """Whether the table's policy needs Python per row (tokenise, generalise, mask) or is a plain projection."""
    return any(rule.treatment not in (Treatment.KEEP, Treatment.DROP) for rule in policy.table(table).columns.values())


def apply_policy(frame: DataFrame, table: str, policy: Policy, key: bytes, presidio_model: str) -> DataFrame:
    """``frame`` with the policy for ``table`` applied; a column the policy lacks raises ``PolicyViolationError``."""
    rules = policy.rules_for(table, frame.columns)
    schema = silver_schema(frame, table, policy)
    if not policy_runs_python(policy, table):
        return frame.select(*schema.fieldNames())
    masking = needs_masker(policy, table)

    def treat_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        tokeniser = Tokeniser(key)
        masker = text_masker(presidio_model, tokeniser) if masking else None
        applier = PolicyApplier(policy, table, tokeniser, masker, rules)
        for batch in batches:
            yield applier.apply(batch)

    return frame.mapInPandas(treat_batches, schema)
