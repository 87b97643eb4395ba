"""The one SparkSession writes and reads Delta tables on a local folder and on MinIO (S3A)."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from pyspark.testing import assertDataFrameEqual

from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings

pytestmark = pytest.mark.integration


def _landed_transactions(settings: Settings, spark: SparkSession, week: int) -> Path:
    return Path(settings.landing_uri) / "transactions" / f"week_{week:02d}" / f"transactions_week{week:02d}.parquet"


@pytest.mark.parametrize("store", ["local", "minio"])
def test_delta_table_round_trips_real_transactions(
    store: str, spark: SparkSession, local_settings: Settings, sample_landing: LandingManifest, tmp_path: Path
) -> None:
    source = _landed_transactions(local_settings, spark, week=10)
    landed = spark.read.parquet(str(source))
    target = str(tmp_path / "transactions") if store == "local" else f"s3a://lake/tests/{uuid4().hex}/transactions"

    landed.write.format("delta").mode("overwrite").save(target)
    read_back = spark.read.format("delta").load(target)

    assert read_back.count() == pq.read_metadata(source).num_rows > 0
    assertDataFrameEqual(read_back, landed)


def test_delta_time_travel_reads_the_earlier_version_on_minio(
    spark: SparkSession, sample_landing: LandingManifest, local_settings: Settings
) -> None:
    target = f"s3a://lake/tests/{uuid4().hex}/transactions"
    week_10 = spark.read.parquet(str(_landed_transactions(local_settings, spark, week=10)))
    week_11 = spark.read.parquet(str(_landed_transactions(local_settings, spark, week=11)))
    week_10.write.format("delta").save(target)
    week_11.write.format("delta").mode("append").save(target)

    assertDataFrameEqual(spark.read.format("delta").option("versionAsOf", 0).load(target), week_10)
    assert spark.read.format("delta").load(target).count() == week_10.count() + week_11.count()
