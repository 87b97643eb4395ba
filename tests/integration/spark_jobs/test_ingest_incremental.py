"""Weeks arrive one at a time: a new week ingests alone, a rerun changes nothing, a correction updates in place.

Weeks 10 and 11 are ingested once for the module; each test works on a copy of that data folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from lakehouse.ingest import ingest_all, lake_layout
from lakehouse.landing.land import LandingManifest, weekly_path
from lakehouse.settings import Settings
from tests.lake import latest_version

pytestmark = pytest.mark.integration

TABLES = ["products", "transactions"]


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "key")


@pytest.fixture(scope="module")
def ingested_weeks(
    tmp_path_factory: pytest.TempPathFactory,
    local_settings: Settings,
    sample_landing: LandingManifest,
    spark: SparkSession,
) -> Path:
    """Products and weeks 10 and 11 of the sample's transactions in a landing of their own, ingested once."""
    data_dir = tmp_path_factory.mktemp("weeks-10-11")
    settings = _settings(data_dir)
    source, landing = Path(local_settings.landing_uri), Path(settings.landing_uri)
    for relative in ["products/products.parquet", weekly_path("transactions", 10, "parquet"),
                     weekly_path("transactions", 11, "parquet")]:  # fmt: skip
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / relative, landing / relative)
    assert not ingest_all(lambda: spark, settings, TABLES).failed
    return data_dir


@pytest.fixture
def small_lake(tmp_path: Path, ingested_weeks: Path) -> Settings:
    """A copy of that ingested data folder (landing, lake, key) for one test to add or correct a week in."""
    shutil.copytree(ingested_weeks, tmp_path / "data")
    return _settings(tmp_path / "data")


def _add_week(settings: Settings, local_settings: Settings, week: int) -> int:
    relative = weekly_path("transactions", week, "parquet")
    target = Path(settings.landing_uri) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(local_settings.landing_uri) / relative, target)
    return int(pq.read_metadata(target).num_rows)


def test_a_new_week_ingests_only_that_week(spark: SparkSession, small_lake: Settings, local_settings: Settings) -> None:
    added = _add_week(small_lake, local_settings, 12)

    report = ingest_all(lambda: spark, small_lake, TABLES).tables["transactions"]

    assert (report.files_new, report.rows_in) == (1, added)
    silver = spark.read.format("delta").load(lake_layout(small_lake).silver("transactions"))
    assert sorted(row["week"] for row in silver.select("week").distinct().collect()) == [10, 11, 12]


def test_rerunning_a_week_changes_nothing(spark: SparkSession, small_lake: Settings) -> None:
    path = lake_layout(small_lake).silver("transactions")
    version = latest_version(spark, path)

    report = ingest_all(lambda: spark, small_lake, TABLES).tables["transactions"]

    assert (report.files_new, report.rows_written) == (0, 0)
    assert latest_version(spark, path) == version


def test_a_corrected_file_for_an_old_week_updates_that_week_in_place(spark: SparkSession, small_lake: Settings) -> None:
    path = lake_layout(small_lake).silver("transactions")
    week_11_before = spark.read.format("delta").load(path).where("week = 11").count()
    week_10 = Path(small_lake.landing_uri) / weekly_path("transactions", 10, "parquet")
    original = pq.read_table(week_10)
    first = original.slice(0, 1).to_pylist()[0]
    corrected = original.slice(1, original.num_rows - 2)  # one line withdrawn (the first), one corrected (the last)
    last = original.slice(original.num_rows - 1, 1)
    last = last.set_column(last.schema.get_field_index("quantity"), "quantity", pa.array([99], pa.int64()))
    pq.write_table(pa.concat_tables([corrected, last]), week_10)

    report = ingest_all(lambda: spark, small_lake, TABLES).tables["transactions"]

    silver = spark.read.format("delta").load(path)
    key = last.to_pylist()[0]
    changed = silver.where(
        f"household_id = {key['household_id']} and basket_id = {key['basket_id']} and product_id = {key['product_id']}"
    ).first()
    withdrawn = silver.where(
        f"household_id = {first['household_id']} and basket_id = {first['basket_id']} "
        f"and product_id = {first['product_id']}"
    )
    assert report.files_new == 1
    assert changed is not None and changed["quantity"] == 99
    assert withdrawn.count() == 0
    assert silver.where("week = 10").count() == original.num_rows - 1
    assert silver.where("week = 11").count() == week_11_before
