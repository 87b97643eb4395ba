"""The quality gate on small batches: a table's suite from its declaration, and its verdict kept as JSON."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_jobs.quality import IN_MEMORY_ROWS, GateResult, keep_verdict, kept_verdict, run_gate, suite_expectations
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


@pytest.mark.parametrize("in_memory_rows", [IN_MEMORY_ROWS, 0], ids=["in pandas", "in Spark"])
def test_a_batch_with_a_repeated_key_fails_its_gate_naming_the_rule_and_the_verdict_is_kept(
    spark: SparkSession, tmp_path: Path, in_memory_rows: int
) -> None:
    columns = "store_id string, retailer_id string, retailer_name string, country string"
    clean = spark.createDataFrame([("1", "r1", "One", "GB"), ("2", "r1", "One", "GB")], columns)
    repeated = spark.createDataFrame([("1", "r1", "One", "GB"), ("1", "r2", "Two", "GB")], columns)

    passed = run_gate(tmp_path, TABLES["stores"], clean, run_name="clean", in_memory_rows=in_memory_rows)
    failed = run_gate(tmp_path, TABLES["stores"], repeated, run_name="repeated", in_memory_rows=in_memory_rows)

    assert passed.success and passed.failed_rules == ()
    assert not failed.success
    assert [rule.split(" ", 1)[0] for rule in failed.failed_rules] == ["expect_column_values_to_be_unique"]
    assert "'column': 'store_id'" in failed.failed_rules[0]
    kept = list((tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(kept) == 2, kept


def test_pandas_and_spark_give_the_same_verdict_on_nulls_compound_keys_and_ranges(
    spark: SparkSession, tmp_path: Path
) -> None:
    columns = (
        "household_id bigint, basket_id bigint, product_id bigint, quantity bigint, sales_value decimal(10,2), week int"
    )
    rows = [
        (1, 10, 100, 1, Decimal("1.50"), 1),
        (1, 10, 100, 2, Decimal("2.00"), 1),
        (2, 11, None, -1, Decimal("-0.10"), 54),
        (3, 12, 101, None, None, None),
    ]
    batch = spark.createDataFrame(rows, columns)

    in_pandas = run_gate(tmp_path, TABLES["transactions"], batch, run_name="pandas")
    in_spark = run_gate(tmp_path, TABLES["transactions"], batch, run_name="spark", in_memory_rows=0)

    assert not in_pandas.success
    assert sorted(in_pandas.failed_rules) == sorted(in_spark.failed_rules)
    failed = {rule.split(" ", 1)[0] for rule in in_pandas.failed_rules}
    assert failed >= {"expect_compound_columns_to_be_unique", "expect_column_values_to_not_be_null"}
    assert "expect_column_values_to_be_between" in failed


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


def test_two_tables_of_the_same_name_keep_a_verdict_each(tmp_path: Path) -> None:
    stores = TABLES["stores"]
    local, on_s3 = GateResult(True, (), "local-batch"), GateResult(True, (), "s3-batch")

    keep_verdict(tmp_path, stores, "lake-a@0:all", local)
    keep_verdict(tmp_path, stores, "lake-b@0:all", on_s3)

    assert kept_verdict(tmp_path, stores, "lake-a@0:all") == local
    assert kept_verdict(tmp_path, stores, "lake-b@0:all") == on_s3
