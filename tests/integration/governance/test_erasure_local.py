"""Right to erasure on the local lake: gone from landing, bronze, silver, quarantine, Delta history, training
datasets, model scores and marts."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from governance.erasure import ErasureRequest, erased_households, read_receipts
from lakehouse.audit_trail import audit_records, audit_trail
from lakehouse.erasure import delta_locations, erase_households, find_remains
from lakehouse.landing.erase import household_feeds, landing_files_holding
from lakehouse.landing.land import land_sources
from lakehouse.landing.storage import landing_store
from lakehouse.ml_datasets import extract_dataset
from lakehouse.model_scoring import score_model
from lakehouse.models import train_model
from spark_jobs.delta_io import table_exists
from spark_jobs.erasure import household_condition, versions_holding
from tests.integration.governance.conftest import (
    CompliancePlatform,
    lake_rows_by_household,
    warehouse_rows_by_household,
    without,
)

pytestmark = pytest.mark.integration


def _no_spark() -> SparkSession:
    """A Spark source for an erasure whose household no lake file holds: it must be answered without a JVM."""
    raise AssertionError("Spark was started although no lake table's files hold the household")


def _dataset_households(channels: Iterable[Path]) -> set[int]:
    return {household for folder in channels for household in pq.read_table(folder)["household_id"].to_pylist()}


def test_an_erased_household_is_gone_from_every_layer_and_every_readable_version(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    settings = compliance_platform.settings
    household = compliance_platform.households[0]
    trained = train_model(settings, "recommend")
    assert trained.registration.verdict.promoted, trained.registration.verdict.reasons
    score_model(settings, "recommend")
    lake_before = lake_rows_by_household(spark, settings)
    marts_before = warehouse_rows_by_household(settings)
    assert household in lake_before["gold/household_recommendations"]
    assert household in marts_before["ml.household_recommendations"]
    assert any(household in counts for counts in lake_before.values())
    assert any(household in counts for counts in marts_before.values())
    dataset = extract_dataset(settings, "recommend")
    assert household in _dataset_households(dataset.channels.values())

    [outcome] = erase_households(lambda: spark, settings, [ErasureRequest(household, "ticket-1")], "dpo@retailer")

    assert outcome.status == "erased"
    assert outcome.receipt is not None
    assert set(outcome.receipt.rows_by_zone()) >= {"landing", "bronze", "silver", "gold", "ml_datasets", "warehouse"}
    assert household not in _dataset_households(dataset.channels.values())
    assert dataset.folder.is_dir() and _dataset_households(dataset.channels.values()), "the other households stay"
    condition = household_condition([household])
    for location in delta_locations(settings):
        if table_exists(spark, location.path):
            assert (
                versions_holding(spark, location.path, household_condition([household], location.in_json_record)) == []
            )
    silver_transactions = f"{settings.lake_uri}/silver/transactions"
    first = DeltaTable.forPath(spark, silver_transactions).history().select("version").orderBy("version").first()
    assert first is not None
    with pytest.raises(Exception, match=r"FILE_NOT_EXIST|FileNotFound|does not exist"):
        spark.read.format("delta").option("versionAsOf", int(first["version"])).load(silver_transactions).where(
            condition
        ).count()
    store = landing_store(settings)
    assert [path for spec in household_feeds() for path in landing_files_holding(store, spec.name, {household})] == []
    assert lake_rows_by_household(spark, settings) == without(lake_before, household)
    assert warehouse_rows_by_household(settings) == without(marts_before, household)
    assert find_remains(lambda: spark, settings, [household]) == []


def test_the_receipt_says_what_was_removed_from_where_by_whom_under_which_policy(
    compliance_platform: CompliancePlatform,
) -> None:
    household = compliance_platform.households[0]
    [receipt] = [
        r for r in read_receipts(compliance_platform.settings.erasure_receipts_dir) if r.household_id == household
    ]
    assert (receipt.requested_by, receipt.reference, receipt.policy_version) == ("dpo@retailer", "ticket-1", 3)
    assert {item.location for item in receipt.removed} >= {
        "bronze/transactions",
        "silver/transactions",
        "silver/customers",
    }
    assert all(item.rows > 0 for item in receipt.removed)
    assert all(item.history_purged for item in receipt.removed if item.zone in ("bronze", "silver"))
    assert "household_rfm" not in receipt.rebuilt
    assert "category_sales_weekly" in receipt.rebuilt
    saved = json.loads((compliance_platform.settings.erasure_receipts_dir / f"{receipt.request_id}.json").read_text())
    assert saved["household_id"] == household


def test_erasing_again_answers_from_the_receipt_and_changes_nothing(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    settings = compliance_platform.settings
    household = compliance_platform.households[0]
    before = lake_rows_by_household(spark, settings)
    receipts = len(read_receipts(settings.erasure_receipts_dir))

    [outcome] = erase_households(_no_spark, settings, [ErasureRequest(household)], "dpo@retailer")

    assert outcome.status == "already_erased"
    assert outcome.receipt is not None and outcome.receipt.household_id == household
    assert len(read_receipts(settings.erasure_receipts_dir)) == receipts
    assert lake_rows_by_household(spark, settings) == before


def test_an_unknown_household_is_answered_as_unknown_and_nothing_changes(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    settings = compliance_platform.settings
    before = (lake_rows_by_household(spark, settings), warehouse_rows_by_household(settings))

    [outcome] = erase_households(_no_spark, settings, [ErasureRequest(987_654_321)], "dpo@retailer")

    assert (outcome.status, outcome.receipt) == ("unknown", None)
    assert (lake_rows_by_household(spark, settings), warehouse_rows_by_household(settings)) == before


def test_landing_again_from_the_source_leaves_the_erased_household_out(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    settings = compliance_platform.settings
    household = compliance_platform.households[0]

    manifest = land_sources(settings, households=len(compliance_platform.households), force=True)

    erased = erased_households(settings.erasure_receipts_dir)
    assert household in erased
    assert manifest.rows("customers") == len(set(compliance_platform.households) - erased)
    store = landing_store(settings)
    assert [path for spec in household_feeds() for path in landing_files_holding(store, spec.name, {household})] == []


def test_every_erasure_is_in_the_append_only_audit_table(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    settings = compliance_platform.settings
    erasures = [
        record for record in audit_records(settings) if (record.action, record.outcome) == ("erasure", "succeeded")
    ]
    assert erasures
    assert erasures[0].actor == "dpo@retailer"
    assert erasures[0].policy_version == 3
    assert erasures[0].code_version
    assert erasures[0].counts["bronze"] > 0
    recorded = len(audit_records(settings))
    with pytest.raises(Exception, match=r"(?i)append"):
        DeltaTable.forPath(spark, audit_trail(settings).uri).delete("action = 'erasure'")
    assert len(audit_records(settings)) == recorded
