"""The quality gate on small batches: a table's suite from its declaration, and its verdict kept as JSON."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_jobs.quality import GateResult, keep_verdict, kept_verdict, run_gate, suite_expectations
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.unit


def test_a_suite_holds_keys_present_and_unique_and_the_declared_ranges() -> None:
    stores = suite_expectations(TABLES["stores"])
    transactions = suite_expectations(TABLES["transactions"])

    assert [(e.expectation_type, e.configuration.kwargs.get("column")) for e in stores] == [
        ("expect_column_values_to_not_be_null", "store_id"),
        ("expect_column_values_to_be_unique", "store_id"),
    ]
    compound = [e for e in transactions if e.expectation_type == "expect_compound_columns_to_be_unique"]
    assert [e.configuration.kwargs["column_list"] for e in compound] == [["household_id", "basket_id", "product_id"]]
    between = [e.configuration.kwargs for e in transactions if e.expectation_type.endswith("_to_be_between")]
    ranges = {kwargs["column"]: (kwargs.get("min_value"), kwargs.get("max_value")) for kwargs in between}
    assert ranges == {"quantity": (0, None), "sales_value": (0, None), "week": (1, 53)}


def test_a_batch_with_a_repeated_key_fails_its_gate_naming_the_rule_and_the_verdict_is_kept(
    spark: SparkSession, tmp_path: Path
) -> None:
    columns = "store_id string, retailer_id string, retailer_name string, country string"
    clean = spark.createDataFrame([("1", "r1", "One", "GB"), ("2", "r1", "One", "GB")], columns)
    repeated = spark.createDataFrame([("1", "r1", "One", "GB"), ("1", "r2", "Two", "GB")], columns)

    passed = run_gate(tmp_path, TABLES["stores"], clean, run_name="clean")
    failed = run_gate(tmp_path, TABLES["stores"], repeated, run_name="repeated")

    assert passed.success and passed.failed_rules == ()
    assert not failed.success
    assert [rule.split(" ", 1)[0] for rule in failed.failed_rules] == ["expect_column_values_to_be_unique"]
    assert "'column': 'store_id'" in failed.failed_rules[0]
    kept = list((tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(kept) == 2, kept


def test_a_kept_verdict_answers_for_the_same_snapshot_and_suite_only(tmp_path: Path) -> None:
    stores = TABLES["stores"]
    verdict = GateResult(False, ("expect_column_values_to_be_unique {'column': 'store_id'}",), "result-1")
    keep_verdict(tmp_path, stores, "table-a@7:all", verdict)

    assert kept_verdict(tmp_path, stores, "table-a@7:all") == verdict
    assert kept_verdict(tmp_path, stores, "table-a@8:all") is None
    assert kept_verdict(tmp_path, stores, "table-a@7:weeks 3-3") is None
    assert kept_verdict(tmp_path, stores, "table-b@7:all") is None
    assert kept_verdict(tmp_path, replace(stores, ranges={"store_id": (1, None)}), "table-a@7:all") is None
    assert kept_verdict(tmp_path, TABLES["products"], "table-a@7:all") is None
