"""The PII policy: deny by default, self-consistent, and exported for dbt docs and Dagster."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from governance.policy import POLICY_FILE, PolicyViolationError, Treatment, default_policy, load_policy

pytestmark = pytest.mark.unit


def test_a_table_missing_from_the_policy_is_refused_by_name() -> None:
    with pytest.raises(PolicyViolationError, match="table 'loyalty_points' is not in the PII policy"):
        default_policy().rules_for("loyalty_points", ["household_id"])


def test_a_column_missing_from_the_policy_is_refused_by_name() -> None:
    with pytest.raises(
        PolicyViolationError, match=r"table 'customers': column\(s\) 'national_insurance_no' not in the PII"
    ):
        default_policy().rules_for("customers", ["household_id", "national_insurance_no"])


def test_ingest_metadata_columns_pass_without_a_rule() -> None:
    rules = default_policy().rules_for("stores", ["store_id", "_source_file", "_batch_id"])
    assert rules["_source_file"] is None
    assert rules["store_id"] is not None


def test_a_policy_that_keeps_a_direct_identifier_is_rejected_naming_the_file(tmp_path: Path) -> None:
    raw = yaml.safe_load(POLICY_FILE.read_text())
    raw["tables"]["customers"]["columns"]["email"] = {"class": "direct_identifier", "treatment": "keep"}
    broken = tmp_path / "policy.yaml"
    broken.write_text(yaml.safe_dump(raw))
    with pytest.raises(
        PolicyViolationError,
        match=f"{broken}: invalid PII policy: tables.customers.columns.email: a direct identifier cannot be kept",
    ):
        load_policy(broken)


def test_no_direct_identifier_reaches_silver_untreated() -> None:
    policy = default_policy()
    for table in policy.tables.values():
        for rule in table.columns.values():
            if rule.classification.value == "direct_identifier":
                assert rule.treatment in (Treatment.DROP, Treatment.TOKENISE)


def test_the_export_marks_pseudonymous_tokens_under_their_silver_names() -> None:
    customers = default_policy().column_classification()["customers"]
    assert customers["email_token"]["pseudonymous_token"] is True
    assert customers["loyalty_card_token"]["pseudonymous_token"] is True
    assert customers["age_band"] == {
        "classification": "quasi_identifier",
        "treatment": "generalise",
        "pseudonymous_token": False,
        "pseudonymous_key": False,
        "policy_version": "3",
    }
    assert customers["household_id"]["pseudonymous_key"] is True
    assert "first_name" not in customers
    assert "email" not in customers
