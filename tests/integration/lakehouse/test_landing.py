"""The landing step writes every feed, split by week, for one consistent set of households."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from lakehouse.landing.land import ALL_FEEDS, MANIFEST, WEEKLY_FEEDS, LandingManifest, land_sources
from lakehouse.settings import Settings
from tests.conftest import SAMPLE_HOUSEHOLDS

pytestmark = pytest.mark.integration


def _households(landing: Path, feed: str, file_format: str = "parquet") -> set[int]:
    dataset = ds.dataset(landing / feed, format=file_format)
    return set(dataset.to_table(columns=["household_id"])["household_id"].to_pylist())


def test_every_feed_lands_with_rows(sample_landing: LandingManifest) -> None:
    assert {feed: sample_landing.rows(feed) > 0 for feed in ALL_FEEDS} == dict.fromkeys(ALL_FEEDS, True)


def test_the_manifest_counts_the_rows_in_the_files(sample_landing: LandingManifest, local_settings: Settings) -> None:
    landing = Path(local_settings.landing_uri)
    parquet_files = {path: rows for path, rows in sample_landing.files.items() if path.endswith(".parquet")}
    assert {path: pq.read_metadata(landing / path).num_rows for path in parquet_files} == parquet_files


def test_weekly_feeds_are_split_one_file_per_week(sample_landing: LandingManifest, local_settings: Settings) -> None:
    for feed in WEEKLY_FEEDS:
        for path in (p for p in sample_landing.files if p.startswith(f"{feed}/")):
            week = int(path.split("/")[1].removeprefix("week_"))
            table = pq.read_table(Path(local_settings.landing_uri) / path)
            if feed != "coupon_redemptions":
                assert set(table["week"].to_pylist()) == {week}, path


def test_the_sample_holds_the_same_households_in_every_table(
    sample_landing: LandingManifest, local_settings: Settings
) -> None:
    landing = Path(local_settings.landing_uri)
    shoppers = _households(landing, "transactions")
    assert len(shoppers) == SAMPLE_HOUSEHOLDS
    assert _households(landing, "customers", "csv") == shoppers
    assert _households(landing, "campaigns") <= shoppers
    assert _households(landing, "demographics") <= shoppers
    assert _households(landing, "customer_feedback", "json") <= shoppers


def test_feedback_lands_as_json_lines_without_the_planted_labels(
    sample_landing: LandingManifest, local_settings: Settings
) -> None:
    first = next(path for path in sample_landing.files if path.startswith("customer_feedback/"))
    record = json.loads((Path(local_settings.landing_uri) / first).read_text().splitlines()[0])
    assert set(record) == {"feedback_id", "household_id", "submitted_at", "channel", "rating", "text"}


def test_a_second_landing_with_the_same_inputs_reuses_the_files(
    sample_landing: LandingManifest, local_settings: Settings
) -> None:
    landing = Path(local_settings.landing_uri)
    before = {path: (landing / path).stat().st_mtime_ns for path in sample_landing.files}

    again = land_sources(local_settings, households=SAMPLE_HOUSEHOLDS)

    assert again.files == sample_landing.files
    assert {path: (landing / path).stat().st_mtime_ns for path in again.files} == before
    assert (landing / MANIFEST).exists()


def test_landing_on_minio_is_readable_by_spark_through_s3a(
    ingested_minio: tuple[LandingManifest, object], spark: SparkSession
) -> None:
    manifest, _ = ingested_minio

    landed = spark.read.option("recursiveFileLookup", "true").parquet("s3a://lake/landing/transactions/")

    assert landed.count() == manifest.rows("transactions") > 0
    assert landed.select("household_id").distinct().count() == 3
