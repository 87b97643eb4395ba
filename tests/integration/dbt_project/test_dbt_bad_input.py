"""A silver table that is missing or empty stops `dbt build` with a message naming it; no mart is replaced."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse.dbt import DbtBuild, DbtBuildError, build_marts
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect

pytestmark = pytest.mark.integration

REDEMPTIONS_AND_DOWNSTREAM = ("--select", "source:silver.coupon_redemptions+")


def _campaign_marts(warehouse: WarehouseProcess) -> list[tuple[int, int]]:
    rows = (
        connect(warehouse)
        .query("SELECT campaign_id, redemptions FROM promotions.campaign_performance ORDER BY campaign_id")
        .result_rows
    )
    return [(int(campaign), int(redemptions)) for campaign, redemptions in rows]


@pytest.fixture
def variant_lakes(warehouse: WarehouseProcess) -> Iterator[Path]:
    """Where a test builds a second lake root: inside the served silver folder, the only lake folder the confined
    warehouse may read; removed afterwards so no other test meets it."""
    folder = Path(warehouse.settings.lake_uri) / "silver" / "_variant_lakes"
    folder.mkdir(exist_ok=True)
    yield folder
    shutil.rmtree(folder)


def _lake_beside_the_real_one(variant_lakes: Path, name: str) -> Path:
    root = variant_lakes / name
    (root / "silver").mkdir(parents=True)
    return root


def test_a_missing_silver_table_fails_the_build_naming_it(
    marts: DbtBuild, warehouse: WarehouseProcess, variant_lakes: Path
) -> None:
    before = _campaign_marts(warehouse)
    lake = _lake_beside_the_real_one(variant_lakes, "lake_without_redemptions")
    settings = warehouse.settings.model_copy(update={"lake_uri": str(lake)})

    with pytest.raises(DbtBuildError) as failure:
        build_marts(settings, *REDEMPTIONS_AND_DOWNSTREAM)

    message = str(failure.value)
    assert "has_rows_silver_coupon_redemptions" in message
    assert f"{lake}/silver/coupon_redemptions" in message
    assert _campaign_marts(warehouse) == before


def test_an_empty_silver_table_fails_the_build_naming_it(
    marts: DbtBuild, warehouse: WarehouseProcess, spark: SparkSession, variant_lakes: Path
) -> None:
    before = _campaign_marts(warehouse)
    lake = _lake_beside_the_real_one(variant_lakes, "lake_with_empty_redemptions")
    silver = f"{warehouse.settings.lake_uri}/silver/coupon_redemptions"
    spark.read.format("delta").load(silver).limit(0).write.format("delta").save(str(lake / "silver/coupon_redemptions"))
    settings = warehouse.settings.model_copy(update={"lake_uri": str(lake)})

    with pytest.raises(DbtBuildError) as failure:
        build_marts(settings, *REDEMPTIONS_AND_DOWNSTREAM)

    assert "silver.coupon_redemptions has no rows (rule has_rows)" in str(failure.value)
    assert _campaign_marts(warehouse) == before
