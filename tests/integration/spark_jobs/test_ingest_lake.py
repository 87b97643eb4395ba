"""The sample ingested into bronze and silver, on the local folder and on MinIO: counts, idempotence, zones."""

from __future__ import annotations

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from lakehouse.ingest import IngestSummary, ingest_all, lake_layout, validate_silver
from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings
from spark_jobs.quality import build_data_docs
from spark_jobs.tables import TABLES
from spark_jobs.upkeep import compact, vacuum
from tests.lake import earliest_version, latest_version

pytestmark = pytest.mark.integration


def _count(spark: SparkSession, path: str) -> int:
    return spark.read.format("delta").load(path).count() if DeltaTable.isDeltaTable(spark, path) else 0


def _balance(spark: SparkSession, settings: Settings, manifest: LandingManifest) -> dict[str, tuple[int, int]]:
    """Per table: (rows landed, silver rows + quarantined rows)."""
    layout = lake_layout(settings)
    return {
        table: (manifest.rows(table), _count(spark, layout.silver(table)) + _count(spark, layout.quarantine(table)))
        for table in TABLES
    }


def test_every_landed_row_is_in_silver_or_quarantine_locally(
    spark: SparkSession, local_settings: Settings, sample_landing: LandingManifest, ingested_local: IngestSummary
) -> None:
    balance = _balance(spark, local_settings, sample_landing)
    assert {table: landed for table, (landed, _) in balance.items()} == {
        table: kept for table, (_, kept) in balance.items()
    }
    for report in ingested_local.tables.values():
        assert report.rows_in == report.rows_accepted + report.rows_quarantined


def test_every_landed_row_is_in_silver_or_quarantine_on_minio(
    spark: SparkSession, s3_settings: Settings, ingested_minio: tuple[LandingManifest, IngestSummary]
) -> None:
    manifest, summary = ingested_minio
    balance = _balance(spark, s3_settings, manifest)
    assert all(landed == kept > 0 or landed == kept == 0 for landed, kept in balance.values()), balance
    assert summary.tables["transactions"].rows_accepted > 0


@pytest.mark.parametrize("where", ["local", "minio"])
def test_a_second_ingestion_writes_nothing_and_commits_no_version(
    where: str,
    spark: SparkSession,
    local_settings: Settings,
    s3_settings: Settings,
    ingested_local: IngestSummary,
    ingested_minio: tuple[LandingManifest, IngestSummary],
) -> None:
    settings = local_settings if where == "local" else s3_settings
    layout = lake_layout(settings)
    versions = {table: latest_version(spark, layout.silver(table)) for table in TABLES}

    again = ingest_all(lambda: spark, settings)

    assert again.rows_written == 0
    assert {report.files_new for report in again.tables.values()} == {0}
    assert {table: latest_version(spark, layout.silver(table)) for table in TABLES} == versions


def test_promotion_duplicates_are_resolved_by_the_stated_rule_and_counted(
    spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    landed = ds.dataset(f"{local_settings.landing_uri}/promotions", format="parquet").to_table()
    keys = landed.group_by(["product_id", "store_id", "week"]).aggregate([("display_location", "count")])
    surplus = pc.sum(pc.subtract(keys["display_location_count"], 1)).as_py()
    rule = TABLES["promotions"].duplicate_rule

    assert surplus > 0
    assert ingested_local.tables["promotions"].by_rule[rule] == surplus
    silver = spark.read.format("delta").load(lake_layout(local_settings).silver("promotions"))
    assert silver.count() == silver.select("product_id", "store_id", "week").distinct().count()


def test_silver_customers_hold_tokens_and_bands_not_personal_values(
    spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    silver = spark.read.format("delta").load(lake_layout(local_settings).silver("customers"))
    assert {"email_token", "phone_token", "loyalty_card_token", "age_band", "postcode_district"} <= set(silver.columns)
    assert not {"first_name", "last_name", "email", "phone", "street_address", "date_of_birth"} & set(silver.columns)
    assert silver.where("email_token not like 'tok_%'").count() == 0


def test_bronze_keeps_rows_as_received_with_ingest_metadata(
    spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    bronze = spark.read.format("delta").load(lake_layout(local_settings).bronze("transactions"))
    assert {"_source_file", "_source_checksum", "_ingested_at", "_batch_id"} <= set(bronze.columns)
    assert dict(bronze.dtypes)["quantity"] == "string"
    assert bronze.where("_source_file not like 'transactions/week_%'").count() == 0


def test_transactions_are_partitioned_by_week(
    spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    detail = DeltaTable.forPath(spark, lake_layout(local_settings).silver("transactions")).detail().first()
    assert detail is not None
    assert detail["partitionColumns"] == ["week"]


def test_quality_results_are_kept_as_json_and_render_as_data_docs(
    local_settings: Settings, ingested_local: IngestSummary
) -> None:
    results = list((local_settings.data_dir / "quality").rglob("validations/**/*.json"))
    index = build_data_docs(local_settings.data_dir / "quality")
    assert len(results) >= len(TABLES)
    assert index.exists()
    assert "transactions_silver" in index.read_text()


def test_unchanged_silver_is_validated_once_and_then_answered_from_the_kept_verdict(
    spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    def validation_results() -> int:
        return len(list((local_settings.data_dir / "quality").rglob("validations/**/*.json")))

    first = validate_silver(lambda: spark, local_settings, "stores")
    results_after_first = validation_results()
    again = validate_silver(lambda: spark, local_settings, "stores", None)

    assert first is not None and first.success
    assert again == first
    assert validation_results() == results_after_first


def test_silver_created_by_a_batch_is_answered_from_that_batch_s_verdict_for_any_of_its_weeks(
    spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    def validation_results() -> int:
        return len(list((local_settings.data_dir / "quality").rglob("validations/**/*.json")))

    batch = ingested_local.tables["transactions"]
    before = validation_results()

    whole = validate_silver(lambda: spark, local_settings, "transactions")
    one_week = validate_silver(lambda: spark, local_settings, "transactions", range(7, 8))

    assert batch.silver_version == 0 and batch.gate is not None and batch.gate.success
    assert whole == batch.gate
    assert one_week == batch.gate
    assert validation_results() == before


def test_compaction_and_vacuum_keep_the_table_and_its_recent_history(
    spark: SparkSession, local_settings: Settings, ingested_local: IngestSummary
) -> None:
    path = lake_layout(local_settings).silver("promotions")
    before = spark.read.format("delta").load(path).count()
    first_version = earliest_version(spark, path)

    compact(spark, path)
    vacuum(spark, path, retention_hours=168)

    assert spark.read.format("delta").load(path).count() == before
    assert spark.read.format("delta").option("versionAsOf", first_version).load(path).count() == before
