"""Erasure while an ingestion writes the same tables: Delta's optimistic concurrency keeps both, loses nothing."""

from __future__ import annotations

import io
import threading

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from governance.erasure import ErasureRequest
from lakehouse.erasure import erase_households, find_remains
from lakehouse.ingest import ingest_one_table
from lakehouse.landing.storage import files_under, landing_store
from spark_jobs.erasure import COMMIT_CONFLICTS
from tests.integration.governance.conftest import CompliancePlatform, lake_rows_by_household, without

pytestmark = pytest.mark.integration


def _correct_a_week(platform: CompliancePlatform, household: int) -> str:
    """A corrected transactions file lands for a week the household shopped in: others' quantities rise by 1."""
    store = landing_store(platform.settings)
    for relative in files_under(store, "transactions"):
        with store.filesystem.open_input_stream(store.path(relative)) as source:
            table = pq.read_table(io.BytesIO(source.read()))
        others = pc.not_equal(table["household_id"], household)
        if pc.any(pc.invert(others)).as_py() and pc.any(others).as_py():
            quantity = pc.if_else(others, pc.add(table["quantity"], 1), table["quantity"])
            corrected = table.set_column(table.schema.get_field_index("quantity"), "quantity", quantity)
            with store.filesystem.open_output_stream(store.path(relative)) as sink:
                pq.write_table(corrected, sink, compression="zstd", coerce_timestamps="us")
            return relative
    raise AssertionError(f"no week file holds household {household} and others")


def _silver(counts: dict[str, dict[int, int]]) -> dict[str, dict[int, int]]:
    """Silver only: bronze and quarantine keep every version of a corrected file as received."""
    return {table: per_household for table, per_household in counts.items() if table.startswith("silver/")}


def test_an_erasure_during_an_ingestion_keeps_the_ingested_correction_and_removes_the_household(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    settings = compliance_platform.settings
    household = compliance_platform.households[1]
    before = _silver(lake_rows_by_household(spark, settings))
    relative = _correct_a_week(compliance_platform, household)
    silver = spark.read.format("delta").load(f"{settings.lake_uri}/silver/transactions")
    [others] = (
        silver.where(f"_source_file = '{relative}' and household_id != {household}")
        .selectExpr("sum(quantity) as quantity", "count(*) as lines").collect()
    )  # fmt: skip
    failures: list[BaseException] = []

    def ingest() -> None:
        try:
            ingest_one_table(lambda: spark, settings, "transactions")
        except BaseException as error:  # noqa: BLE001 - the main thread judges it
            failures.append(error)

    ingestion = threading.Thread(target=ingest)
    ingestion.start()
    [outcome] = erase_households(lambda: spark, settings, [ErasureRequest(household)], "dpo@retailer")
    ingestion.join()
    for failure in failures:
        # The ingestion may lose the race either way: Delta refuses its commit (a conflict), or the erasure
        # vacuumed the snapshot it was reading. Both fail it whole; nothing else may.
        assert isinstance(failure, COMMIT_CONFLICTS) or "FILE_NOT_EXIST" in str(failure), repr(failure)
    ingest_one_table(lambda: spark, settings, "transactions")

    assert outcome.status == "erased"
    assert find_remains(lambda: spark, settings, [household]) == []
    assert _silver(lake_rows_by_household(spark, settings)) == without(before, household)
    silver = spark.read.format("delta").load(f"{settings.lake_uri}/silver/transactions")
    [row] = silver.where(f"_source_file = '{relative}'").selectExpr("sum(quantity) as quantity").collect()
    assert row["quantity"] == others["quantity"] + others["lines"]
