"""Which readable versions of a Delta table still hold a household, answered from the files themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from spark_jobs.erasure import delete_rows, files_holding, household_condition, purge_history, versions_holding

pytestmark = pytest.mark.unit


def _table(spark: SparkSession, tmp_path: Path) -> str:
    """Version 0 holds households 1 and 2 in a week partition each; version 1 appends household 3."""
    path = str(tmp_path / "silver transactions")
    spark.createDataFrame([(1, 10, "a"), (2, 11, "b")], "household_id long, week long, basket string").write.format(
        "delta"
    ).partitionBy("week").save(path)
    spark.createDataFrame([(3, 12, "c")], "household_id long, week long, basket string").write.format("delta").mode(
        "append"
    ).save(path)
    return path


def test_every_readable_version_that_lists_a_file_holding_the_household_is_named(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = _table(spark, tmp_path)
    erased = delete_rows(spark, path, household_condition([1]))

    assert erased.rows_removed == 1
    assert versions_holding(spark, path, household_condition([1])) == [1, 0]
    assert versions_holding(spark, path, household_condition([3])) == [erased.delete_version, 1]
    assert versions_holding(spark, path, household_condition([4])) == []


def test_after_the_vacuum_no_version_holds_the_household_and_the_others_are_kept(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = _table(spark, tmp_path)
    erased = delete_rows(spark, path, household_condition([1]))
    assert erased.delete_version is not None
    purge_history(spark, path)

    present, holding = files_holding(spark, path, household_condition([1]))
    assert holding == set()
    assert len(present) == 2
    assert versions_holding(spark, path, household_condition([1])) == []
    since_the_delete = [
        int(row["version"])
        for row in DeltaTable.forPath(spark, path).history().collect()
        if row["version"] >= erased.delete_version
    ]
    assert versions_holding(spark, path, household_condition([2, 3])) == since_the_delete
    assert since_the_delete[-1] == erased.delete_version


def test_a_household_in_a_quarantined_record_is_found_by_its_json_field(spark: SparkSession, tmp_path: Path) -> None:
    path = str(tmp_path / "quarantine")
    spark.createDataFrame(
        [('{"household_id": "7", "basket": "x"}', "bad date"), ('{"household_id": "8"}', "bad week")],
        "_record string, _rule string",
    ).write.format("delta").save(path)

    assert versions_holding(spark, path, household_condition([7], in_json_record=True)) == [0]
    assert versions_holding(spark, path, household_condition([9], in_json_record=True)) == []
