"""The object store going away in the middle of an ingestion, nothing lost either way.

A 45-second outage is ridden out by S3A's retries. A 4-minute one outlasts
them: ``lakehouse ingest`` fails in one line per table (no stack trace; a
table checked against a failed one is not judged against it), and a rerun once
the store is back completes the batch, every landed row in silver or
quarantine exactly once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse.ingest import IngestSummary, ingest_all, lake_layout
from lakehouse.landing.land import LandingManifest
from lakehouse.minio_server import MinioServer
from lakehouse.settings import Settings
from spark_jobs.delta_io import table_exists
from spark_jobs.tables import TABLES
from tests.conftest import LAKE_BUCKET

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 45
LONG_OUTAGE_SECONDS = 240
PREFIX = "outage-lake"
LONG_OUTAGE_PREFIX = "long-outage-lake"
OUTAGE_TABLES = ("products", "transactions")
LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))


def _exists(minio: MinioServer, prefix: str) -> bool:
    client = minio.object_store.boto3_client()
    return client.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=prefix, MaxKeys=1).get("KeyCount", 0) > 0


def _wait_for(minio: MinioServer, prefix: str, ingesting: Callable[[], bool]) -> None:
    """Return once ``prefix`` exists in the lake bucket: the ingestion is past its first commit, mid-way."""
    deadline = time.monotonic() + 600
    while not _exists(minio, prefix):
        assert ingesting() and time.monotonic() < deadline, f"the ingestion never committed {prefix}"
        time.sleep(0.2)


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
            outcome["summary"] = ingest_all(spark, settings, list(OUTAGE_TABLES))
        except BaseException as error:  # noqa: BLE001 - the test reports it
            outcome["error"] = error

    worker = threading.Thread(target=ingest, name="ingest")
    worker.start()
    _wait_for(minio, f"{PREFIX}/silver/products/_delta_log/", worker.is_alive)
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
    quarantine = spark.read.format("delta").load(layout.quarantine("transactions")).count()
    assert silver + quarantine == report.rows_in


def test_a_4_minute_outage_fails_the_ingestion_in_one_line_per_table_and_a_rerun_completes_it(
    spark: SparkSession,
    s3_settings: Settings,
    local_settings: Settings,
    sample_landing: LandingManifest,
    minio: MinioServer,
    tmp_path: Path,
) -> None:
    environment = {
        **os.environ,
        "LAKEHOUSE_DATA_DIR": str(tmp_path),
        "LAKEHOUSE_LAKE_URI": f"s3a://{LAKE_BUCKET}/{LONG_OUTAGE_PREFIX}",
        "LAKEHOUSE_LANDING_URI": local_settings.landing_uri,
        "S3_ENDPOINT": minio.endpoint,
        "AWS_ACCESS_KEY_ID": minio.user,
        "AWS_SECRET_ACCESS_KEY": minio.password,
    }
    command = [LAKEHOUSE, "ingest", "--tables", ",".join(OUTAGE_TABLES)]
    output = tmp_path / "ingest-during-outage.txt"
    with output.open("w") as written:
        during = subprocess.Popen(command, stdout=written, stderr=subprocess.STDOUT, text=True, env=environment)
    _wait_for(minio, f"{LONG_OUTAGE_PREFIX}/silver/products/_delta_log/", lambda: during.poll() is None)
    minio.stop()
    back_at = time.monotonic() + LONG_OUTAGE_SECONDS
    try:
        with suppress(subprocess.TimeoutExpired):
            during.wait(timeout=LONG_OUTAGE_SECONDS)
    finally:
        time.sleep(max(0.0, back_at - time.monotonic()))  # the store stays down its full 4 minutes either way
        minio.start()
    during.wait(timeout=1800)
    printed = output.read_text()
    after = subprocess.run(command, capture_output=True, text=True, env=environment, check=False, timeout=1800)

    assert during.returncode == 1, printed
    lines = printed.splitlines()
    failed = [line for line in lines if line.startswith("   failed: ")]
    assert failed, printed
    store = minio.endpoint.removeprefix("http://")
    waited = "not attempted: its rows are checked against products, which failed in this ingestion"
    assert all(store in line or waited in line for line in failed), failed
    assert any(line.startswith("error ingestion incomplete: ") for line in lines), printed
    assert "   set aside: " not in printed, "good files were set aside for the sender to fix"
    assert not [line for line in lines if line.startswith(("\tat ", "Caused by:", "Traceback"))], printed
    assert "a set-aside file stays in landing" not in printed
    assert after.returncode == 0, after.stdout + after.stderr
    layout = lake_layout(s3_settings.model_copy(update={"lake_uri": environment["LAKEHOUSE_LAKE_URI"]}))
    for table in OUTAGE_TABLES:
        silver = spark.read.format("delta").load(layout.silver(table))
        quarantine = layout.quarantine(table)
        quarantined = spark.read.format("delta").load(quarantine).count() if table_exists(spark, quarantine) else 0
        assert silver.count() + quarantined == sample_landing.rows(table), table
        assert silver.select(*TABLES[table].keys).distinct().count() == silver.count(), table
