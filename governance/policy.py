"""The PII policy: one versioned YAML deciding what happens to every landing column on its way to silver.

Deny by default: asking for the treatment of a table or column the policy does
not list raises :class:`PolicyViolationError` naming it, which stops that ingestion.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

POLICY_FILE = Path(__file__).with_name("policy.yaml")


class PolicyViolationError(ValueError):
    """Data that the policy does not cover, or a policy that contradicts itself."""


class Classification(StrEnum):
    DIRECT_IDENTIFIER = "direct_identifier"
    QUASI_IDENTIFIER = "quasi_identifier"
    SENSITIVE = "sensitive"
    NONE = "none"


class Treatment(StrEnum):
    KEEP = "keep"
    DROP = "drop"
    TOKENISE = "tokenise"
    GENERALISE = "generalise"
    MASK = "mask"


class Normalisation(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    UPPER = "upper"
    NONE = "none"


class GeneralisationRule(StrEnum):
    AGE_BAND = "age_band"
    POSTCODE_DISTRICT = "postcode_district"


class LandingErasure(StrEnum):
    """What erasure does to a raw landing file that held the person."""

    REWRITE = "rewrite"
    DELETE = "delete"


class ErasurePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    landing: LandingErasure = LandingErasure.REWRITE


class ColumnRule(BaseModel):
    """How one column is classified and treated."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    classification: Classification = Field(alias="class")
    treatment: Treatment
    output: str | None = None
    normalise: Normalisation = Normalisation.NONE
    rule: GeneralisationRule | None = None
    pseudonymous_key: bool = False
    """A key that stands for a person without naming them (the provider's household id); tokens always are."""

    @model_validator(mode="after")
    def _complete(self) -> ColumnRule:
        if self.treatment is Treatment.GENERALISE and self.rule is None:
            raise ValueError("generalise needs a rule (age_band or postcode_district)")
        if self.classification is Classification.DIRECT_IDENTIFIER and self.treatment is Treatment.KEEP:
            raise ValueError("a direct identifier cannot be kept as it is")
        return self


class TablePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, ColumnRule]


class Policy(BaseModel):
    """The whole policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    age_band_as_of: date
    metadata_columns: tuple[str, ...] = ()
    erasure: ErasurePolicy = ErasurePolicy()
    tables: dict[str, TablePolicy]

    def table(self, table: str) -> TablePolicy:
        if table not in self.tables:
            raise PolicyViolationError(
                f"table {table!r} is not in the PII policy (governance/policy.yaml, version {self.version}); "
                "every landing table must be classified before it is ingested"
            )
        return self.tables[table]

    def rules_for(self, table: str, columns: Iterable[str]) -> dict[str, ColumnRule | None]:
        """The rule of every column, in order; ``None`` for metadata columns. Unlisted columns are refused."""
        table_policy = self.table(table)
        columns = list(columns)
        missing = [
            column for column in columns if column not in table_policy.columns and column not in self.metadata_columns
        ]
        if missing:
            raise PolicyViolationError(
                f"table {table!r}: column(s) {', '.join(map(repr, missing))} not in the PII policy "
                f"(governance/policy.yaml, version {self.version}); classify them before ingesting"
            )
        return {column: table_policy.columns.get(column) for column in columns}

    def masked_columns(self, table: str) -> list[str]:
        """The table's free-text columns, which Presidio masks."""
        return [column for column, rule in self.table(table).columns.items() if rule.treatment is Treatment.MASK]

    def personal_columns(self, table: str) -> list[str]:
        """Landing columns that hold or point at a person: every column not classified ``none``."""
        return [
            column
            for column, rule in self.table(table).columns.items()
            if rule.classification is not Classification.NONE
        ]

    def output_name(self, column: str, rule: ColumnRule | None) -> str:
        return rule.output if rule is not None and rule.output else column

    def silver_columns(self, table: str) -> dict[str, ColumnRule]:
        """Silver column name -> the rule that produced it, for every column that survives."""
        return {
            self.output_name(column, rule): rule
            for column, rule in self.table(table).columns.items()
            if rule.treatment is not Treatment.DROP
        }

    def column_classification(self) -> dict[str, dict[str, dict[str, str | bool]]]:
        """Per silver table and column: classification, treatment, and whether it is a pseudonymous token or key.

        This is what dbt docs (column ``meta``) and Dagster metadata show downstream.
        """
        return {
            table: {
                column: {
                    "classification": rule.classification.value,
                    "treatment": rule.treatment.value,
                    "pseudonymous_token": rule.treatment is Treatment.TOKENISE,
                    "pseudonymous_key": rule.pseudonymous_key or rule.treatment is Treatment.TOKENISE,
                    "policy_version": str(self.version),
                }
                for column, rule in self.silver_columns(table).items()
            }
            for table in self.tables
        }


def load_policy(path: Path = POLICY_FILE) -> Policy:
    """Read and validate a policy file; errors name the file and the offending entry."""
    try:
        raw = yaml.safe_load(path.read_text())
        return Policy.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc']))}: {problem['msg'].removeprefix('Value error, ')}"
            for problem in error.errors()
        )
        raise PolicyViolationError(f"{path}: invalid PII policy: {problems}") from error
    except yaml.YAMLError as error:
        raise PolicyViolationError(f"{path}: invalid PII policy: not YAML: {error}") from error


@lru_cache(maxsize=4)
def default_policy() -> Policy:
    return load_policy(POLICY_FILE)
