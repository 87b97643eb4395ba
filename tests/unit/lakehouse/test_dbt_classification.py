"""The PII policy's classification in dbt's YAML: in sync for the real project, and kept in sync by the tool."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from governance.policy import Policy, PolicyViolationError, default_policy
from lakehouse.dbt import DBT_PROJECT_DIR
from lakehouse.dbt_classification import classified_by_name, sync_classification

pytestmark = pytest.mark.unit


def _write(path: Path, document: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_the_dbt_project_carries_the_policy_classification_on_every_classified_column() -> None:
    sync = sync_classification(DBT_PROJECT_DIR, default_policy(), write=False)
    assert sync.differences == []


def test_household_id_is_a_pseudonymous_key_and_plain_ids_are_unclassified() -> None:
    by_name = classified_by_name(default_policy())
    assert by_name["household_id"]["pseudonymous_key"] is True
    assert by_name["income"]["classification"] == "sensitive"
    assert "store_id" not in by_name


def test_a_column_name_classified_two_ways_is_refused_naming_both_tables() -> None:
    raw = default_policy().model_dump(by_alias=True)
    raw["tables"]["campaigns"]["columns"]["household_id"]["class"] = "sensitive"
    with pytest.raises(PolicyViolationError, match="'household_id' is classified differently in silver transactions"):
        classified_by_name(Policy.model_validate(raw))


def test_sync_writes_missing_meta_removes_stale_meta_and_then_finds_nothing(tmp_path: Path) -> None:
    _write(
        tmp_path / "models" / "marts" / "visits.yml",
        {
            "version": 2,
            "models": [
                {
                    "name": "visits",
                    "columns": [
                        {"name": "household_id", "description": "who"},
                        {"name": "store_id", "meta": {"pii": {"classification": "sensitive"}, "owner": "x"}},
                    ],
                }
            ],
        },
    )
    _write(
        tmp_path / "models" / "staging" / "__sources.yml",
        {
            "version": 2,
            "sources": [{"name": "silver", "tables": [{"name": "stores", "columns": [{"name": "store_id"}]}]}],
        },
    )
    policy = default_policy()

    first = sync_classification(tmp_path, policy, write=True)
    again = sync_classification(tmp_path, policy, write=False)

    model = yaml.safe_load((tmp_path / "models" / "marts" / "visits.yml").read_text())["models"][0]
    household, store = model["columns"]
    assert household["meta"]["pii"] == policy.column_classification()["transactions"]["household_id"]
    assert store["meta"] == {"owner": "x"}
    stores = yaml.safe_load((tmp_path / "models" / "staging" / "__sources.yml").read_text())["sources"][0]
    assert {column["name"] for column in stores["tables"][0]["columns"]} == {
        "store_id",
        "retailer_id",
        "retailer_name",
        "country",
    }
    assert (
        "models/staging/__sources.yml: silver.stores.retailer_id: missing (in the policy export)" in first.differences
    )
    assert "models/marts/visits.yml: visits.store_id: pii meta differs" in first.differences
    assert again.differences == []
