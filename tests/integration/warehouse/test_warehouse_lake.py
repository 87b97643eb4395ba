"""Silver Delta tables read through ClickHouse's table functions, on the local lake and on MinIO."""

from __future__ import annotations

from decimal import Decimal

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from pyspark.sql import SparkSession
from pyspark.sql.functions import count
from pyspark.sql.functions import sum as sum_of

from lakehouse.ingest import IngestSummary
from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess, register_silver
from tests.clickhouse import ANALYST, connect

pytestmark = pytest.mark.integration


def _spark_totals(spark: SparkSession, path: str) -> tuple[int, Decimal]:
    row = spark.read.format("delta").load(path).agg(count("*"), sum_of("sales_value")).first()
    assert row is not None
    return int(row[0]), row[1]


def _spark_counts(spark: SparkSession, lake: str, tables: list[str]) -> dict[str, int]:
    return {table: spark.read.format("delta").load(f"{lake}/silver/{table}").count() for table in tables}


def test_local_silver_tables_registered_for_analysts_read_as_spark_wrote_them(
    warehouse: WarehouseProcess, spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    counts = register_silver(warehouse.settings, list(ingested_local.tables))
    analyst = connect(warehouse, *ANALYST)

    rows = analyst.query("SELECT count(), sum(sales_value) FROM silver.transactions").result_rows

    assert rows == [_spark_totals(spark, f"{local_settings.lake_uri}/silver/transactions")]
    assert counts == _spark_counts(spark, local_settings.lake_uri, list(ingested_local.tables))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM file('/etc/hostname', 'LineAsString')",
        "SELECT count() FROM deltaLakeLocal('{lake}/bronze/customers')",
        "SELECT * FROM url('http://127.0.0.1:9/', 'CSV', 'a String')",
    ],
)
def test_the_analyst_may_not_call_table_functions_so_bronze_and_files_stay_out_of_reach(
    warehouse: WarehouseProcess, local_settings: Settings, sql: str
) -> None:
    analyst = connect(warehouse, *ANALYST)

    with pytest.raises(DatabaseError, match="Code: 164"):
        analyst.query(sql.format(lake=local_settings.lake_uri))


def test_s3_silver_tables_registered_through_the_lake_collection_without_keys_in_sql(
    s3_warehouse: WarehouseProcess,
    spark: SparkSession,
    s3_settings: Settings,
    ingested_minio: tuple[LandingManifest, IngestSummary],
) -> None:
    _, summary = ingested_minio
    counts = register_silver(s3_warehouse.settings, list(summary.tables))
    analyst = connect(s3_warehouse, *ANALYST)

    rows = analyst.query("SELECT count(), sum(sales_value) FROM silver.transactions").result_rows

    assert rows == [_spark_totals(spark, f"{s3_settings.lake_uri}/silver/transactions")]
    assert counts == _spark_counts(spark, s3_settings.lake_uri, list(summary.tables))
    engine = connect(s3_warehouse).command("SELECT engine_full FROM system.tables WHERE name = 'transactions'")
    assert isinstance(engine, str) and engine.startswith("DeltaLake(lake, filename = ")
    assert s3_settings.s3_secret_key.get_secret_value() not in engine


def test_the_lake_collection_cannot_be_pointed_elsewhere(s3_warehouse: WarehouseProcess) -> None:
    with pytest.raises(DatabaseError, match="Override not allowed for 'url'"):
        connect(s3_warehouse).query("SELECT count() FROM deltaLake(lake, url = 'http://127.0.0.1:9/other/')")


def test_the_lake_secret_is_never_shown_to_the_analyst_nor_logged(
    s3_warehouse: WarehouseProcess, s3_settings: Settings, ingested_minio: tuple[LandingManifest, IngestSummary]
) -> None:
    register_silver(s3_warehouse.settings, list(ingested_minio[1].tables))
    secret = s3_settings.s3_secret_key.get_secret_value()
    analyst = connect(s3_warehouse, *ANALYST)

    shown = analyst.query("SELECT toString(collection) FROM system.named_collections WHERE name = 'lake'").result_rows
    analyst.query("SELECT count() FROM silver.stores")

    assert shown and secret not in shown[0][0]
    assert s3_warehouse.log_path is not None
    assert secret not in s3_warehouse.log_path.read_text()
