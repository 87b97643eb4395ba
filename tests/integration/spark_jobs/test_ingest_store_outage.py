"""The object store going away in the middle of an ingestion: a 45-second outage is ridden out, nothing is lost."""

from __future__ import annotations

import threading
import time

import boto3
import pytest
from pyspark.sql import SparkSession

from lakehouse.ingest import IngestSummary, ingest_all, lake_layout
from lakehouse.landing.land import LandingManifest
from lakehouse.minio_server import MinioServer
from lakehouse.settings import Settings
from tests.conftest import LAKE_BUCKET

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 45
PREFIX = "outage-lake"


def _exists(minio: MinioServer, prefix: str) -> bool:
    client = boto3.client(
        "s3", endpoint_url=minio.endpoint, aws_access_key_id=minio.user,
        aws_secret_access_key=minio.password, region_name="us-east-1",
    )  # fmt: skip
    return client.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=prefix, MaxKeys=1).get("KeyCount", 0) > 0


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
            outcome["summary"] = ingest_all(spark, settings, ["products", "transactions"])
        except BaseException as error:  # noqa: BLE001 - the test reports it
            outcome["error"] = error

    worker = threading.Thread(target=ingest, name="ingest")
    worker.start()
    deadline = time.monotonic() + 600
    while not _exists(minio, f"{PREFIX}/silver/products/_delta_log/") and time.monotonic() < deadline:
        time.sleep(0.2)
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
