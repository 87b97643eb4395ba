"""Silver Delta tables read through ClickHouse's table functions, on the local lake and on MinIO."""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession
from pyspark.sql.functions import count
from pyspark.sql.functions import sum as sum_of

from lakehouse.ingest import IngestSummary
from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import ANALYST, connect

pytestmark = pytest.mark.integration


def _spark_totals(spark: SparkSession, path: str) -> tuple[int, float]:
    row = spark.read.format("delta").load(path).agg(count("*"), sum_of("sales_value")).first()
    assert row is not None
    return int(row[0]), round(float(row[1]), 2)


def test_local_silver_tables_read_as_spark_wrote_them(
    warehouse: WarehouseProcess, spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    path = f"{local_settings.lake_uri}/silver/transactions"
    analyst = connect(warehouse, *ANALYST)

    rows = analyst.query(f"SELECT count(), round(sum(sales_value), 2) FROM deltaLakeLocal('{path}')").result_rows

    assert rows == [_spark_totals(spark, path)]
    assert rows[0][0] == ingested_local.tables["transactions"].rows_written


def test_s3_silver_tables_read_through_the_lake_collection_without_keys_in_sql(
    s3_warehouse: WarehouseProcess,
    spark: SparkSession,
    s3_settings: Settings,
    ingested_minio: tuple[LandingManifest, IngestSummary],
) -> None:
    analyst = connect(s3_warehouse, *ANALYST)

    rows = analyst.query(
        "SELECT count(), round(sum(sales_value), 2) FROM deltaLake(lake, filename = 'silver/transactions/')"
    ).result_rows

    assert rows == [_spark_totals(spark, f"{s3_settings.lake_uri}/silver/transactions")]


def test_the_lake_secret_is_never_shown_to_the_analyst_nor_logged(
    s3_warehouse: WarehouseProcess, s3_settings: Settings
) -> None:
    secret = s3_settings.s3_secret_key.get_secret_value()
    analyst = connect(s3_warehouse, *ANALYST)

    shown = analyst.query("SELECT toString(collection) FROM system.named_collections WHERE name = 'lake'").result_rows
    analyst.query("SELECT count() FROM deltaLake(lake, filename = 'silver/stores/')")

    assert shown and secret not in shown[0][0]
    assert s3_warehouse.log_path is not None
    assert secret not in s3_warehouse.log_path.read_text()
