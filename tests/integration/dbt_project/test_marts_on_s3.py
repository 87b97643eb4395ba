"""The same dbt project on a lake in S3 (MinIO): the lake macro reads silver through the warehouse's named collection."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from lakehouse.dbt import build_marts
from lakehouse.ingest import IngestSummary
from lakehouse.landing.land import LandingManifest
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect

pytestmark = pytest.mark.integration


def test_the_sales_marts_build_from_a_lake_on_s3_with_every_silver_line(
    ingested_minio: tuple[LandingManifest, IngestSummary], s3_warehouse: WarehouseProcess, spark: SparkSession
) -> None:
    build = build_marts(s3_warehouse.settings, "--select", "+category_sales_weekly", "--indirect-selection", "cautious")

    silver = spark.read.format("delta").load(f"{s3_warehouse.settings.lake_uri}/silver/transactions")
    lines, sales = (
        connect(s3_warehouse)
        .query("SELECT count(), round(sum(sales_value), 2) FROM category.fct_sales_lines")
        .result_rows[0]
    )
    assert build.all_passed and build.nodes > 20
    assert lines == silver.count() > 0
    assert sales == silver.groupBy().sum("sales_value").collect()[0][0]
