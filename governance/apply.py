"""Apply the PII policy to a batch of one table's rows (a pandas frame), the way silver receives them.

Spark calls this from ``mapInPandas`` (``spark_jobs/pii.py``), so each
executor process builds its Presidio engine once and reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from governance.generalise import age_band, postcode_district
from governance.policy import ColumnRule, GeneralisationRule, Policy, Treatment
from governance.tokenise import Tokeniser

if TYPE_CHECKING:
    from governance.masking import TextMasker


def _as_date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value)


@dataclass
class PolicyApplier:
    """The policy for one table, ready to transform batches of its rows."""

    policy: Policy
    table: str
    tokeniser: Tokeniser
    masker: TextMasker | None = None
    rules: dict[str, ColumnRule | None] = field(default_factory=dict)

    def apply(self, batch: pd.DataFrame) -> pd.DataFrame:
        """Silver columns for ``batch``: unlisted columns refused, dropped ones gone, the rest treated."""
        rules = self.rules or self.policy.rules_for(self.table, batch.columns)
        output: dict[str, pd.Series] = {}
        for column, rule in rules.items():
            if rule is None or rule.treatment is Treatment.KEEP:
                output[column] = batch[column]
            elif rule.treatment is not Treatment.DROP:
                output[self.policy.output_name(column, rule)] = self._treat(batch[column], rule)
        return pd.DataFrame(output, index=batch.index)

    def _treat(self, values: pd.Series, rule: ColumnRule) -> pd.Series:
        if rule.treatment is Treatment.TOKENISE:
            return values.map(lambda value: self.tokeniser.tokenise(_as_text(value), rule.normalise)).astype(object)
        if rule.treatment is Treatment.GENERALISE and rule.rule is GeneralisationRule.AGE_BAND:
            return values.map(lambda value: age_band(_as_date(value), self.policy.age_band_as_of)).astype(object)
        if rule.treatment is Treatment.GENERALISE:
            return values.map(lambda value: postcode_district(_as_text(value))).astype(object)
        if self.masker is None:
            raise ValueError(f"table {self.table!r}: masking a column needs a Presidio masker")
        masker = self.masker
        return values.map(lambda value: masker.mask(_as_text(value))).astype(object)
