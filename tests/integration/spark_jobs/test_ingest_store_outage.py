"""The object store going away in the middle of an ingestion, nothing lost either way.

A 45-second outage is ridden out by S3A's retries. A 4-minute one outlasts
them: ``lakehouse ingest`` fails in one line per table naming the store (no
stack trace), and a rerun once
the store is back completes the batch, every landed row in silver or
quarantine exactly once. The 4-minute scenario is played in the background from
the session's start by the process that schedules the tests, on a MinIO of its
own (``tests/long_outage.py``).
"""

from __future__ import annotations

import threading
import time

import pytest
from pyspark.sql import SparkSession

from lakehouse.ingest import IngestSummary, ingest_all, lake_layout
from lakehouse.landing.land import LandingManifest
from lakehouse.minio_server import MinioServer
from lakehouse.settings import Settings
from spark_jobs.tables import TABLES
from tests.conftest import LAKE_BUCKET
from tests.lake import delta_rows
from tests.long_outage import OUTAGE_TABLES, OutageReport, wait_for_commit

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 45
PREFIX = "outage-lake"


def test_a_45_second_object_store_outage_mid_ingestion_is_ridden_out_and_every_row_is_accounted_for(
    spark: SparkSession,
    s3_settings: Settings,
    local_settings: Settings,
    sample_landing: LandingManifest,
    minio: MinioServer,
) -> None:
    settings = s3_settings.model_copy(
        update={"lake_uri": f"s3a://{LAKE_BUCKET}/{PREFIX}", "landing_uri": local_settings.landing_uri}
    )
    outcome: dict[str, IngestSummary | BaseException] = {}

    def ingest() -> None:
        try:
            outcome["summary"] = ingest_all(lambda: spark, settings, list(OUTAGE_TABLES))
        except BaseException as error:  # noqa: BLE001 - the test reports it
            outcome["error"] = error

    worker = threading.Thread(target=ingest, name="ingest")
    worker.start()
    wait_for_commit(minio, LAKE_BUCKET, f"{PREFIX}/silver/products/_delta_log/", worker.is_alive)
    minio.stop()
    time.sleep(OUTAGE_SECONDS)
    minio.start()
    ingesting_through_the_outage = worker.is_alive()
    worker.join(timeout=1800)

    assert ingesting_through_the_outage
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["summary"]
    assert isinstance(summary, IngestSummary)
    assert summary.failed == {}
    report = summary.tables["transactions"]
    assert report.rows_in == sample_landing.rows("transactions") == report.rows_accepted + report.rows_quarantined
    layout = lake_layout(settings)
    silver = spark.read.format("delta").load(layout.silver("transactions")).count()
    quarantine = delta_rows(spark, layout.quarantine("transactions"))
    assert silver + quarantine == report.rows_in


def test_a_4_minute_outage_fails_the_ingestion_in_one_line_per_table_and_a_rerun_completes_it(
    long_outage_report: OutageReport, local_settings: Settings
) -> None:
    report = long_outage_report
    printed = report.printed

    assert report.during_returncode == 1, printed
    lines = printed.splitlines()
    failed = [line for line in lines if line.startswith("   failed: ")]
    assert failed, printed
    store = report.endpoint.removeprefix("http://")
    assert all(store in line for line in failed), failed
    assert any(line.startswith("error ingestion incomplete: ") for line in lines), printed
    assert "   set aside: " not in printed, "good files were set aside for the sender to fix"
    assert not [line for line in lines if line.startswith(("\tat ", "Caused by:", "Traceback"))], printed
    assert "a set-aside file stays in landing" not in printed
    assert report.after_returncode == 0, report.after_output
    for table in OUTAGE_TABLES:
        silver = report.lake_table(local_settings, "silver", table)
        quarantine = report.lake_table(local_settings, "quarantine", table)
        assert silver is not None, table
        quarantined = quarantine.num_rows if quarantine is not None else 0
        assert report.landed_rows[table] > 0, table
        assert silver.num_rows + quarantined == report.landed_rows[table], table
        keys = list(TABLES[table].keys)
        assert silver.group_by(keys).aggregate([]).num_rows == silver.num_rows, table
