"""Consent: a withdrawal in the customers feed removes the household from the next export-ready mart."""

from __future__ import annotations

import io
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from pyspark.sql import SparkSession

from lakehouse.dbt import build_marts
from lakehouse.ingest import ingest_one_table
from lakehouse.landing.storage import landing_store
from lakehouse.warehouse import admin_client
from tests.integration.governance.conftest import CompliancePlatform

pytestmark = pytest.mark.integration

EXPORT = "exports.export_household_segments"


def _exported(platform: CompliancePlatform) -> set[int]:
    settings = platform.settings
    admin = admin_client(settings)
    return {int(row[0]) for row in admin.query(f"SELECT household_id FROM {EXPORT}").result_rows}


def _withdraw_consent(platform: CompliancePlatform, household: int) -> None:
    """The profile feed sends the household again: consent false, changed now (a corrected customers.csv)."""
    store = landing_store(platform.settings)
    path = store.path("customers/customers.csv")
    with store.filesystem.open_input_stream(path) as source:
        profiles = pacsv.read_csv(io.BytesIO(source.read()))
    withdrawn = pc.equal(profiles["household_id"], household)
    consent = pc.if_else(withdrawn, False, profiles["marketing_consent"])
    changed_at = pc.if_else(
        withdrawn, pa.scalar(datetime(2018, 1, 2, 9, 30), profiles["consent_updated_at"].type),
        profiles["consent_updated_at"],
    )  # fmt: skip
    profiles = profiles.set_column(profiles.schema.get_field_index("marketing_consent"), "marketing_consent", consent)
    profiles = profiles.set_column(
        profiles.schema.get_field_index("consent_updated_at"), "consent_updated_at", changed_at
    )
    sink = io.BytesIO()
    pacsv.write_csv(profiles, sink)
    with store.filesystem.open_output_stream(path) as output:
        output.write(sink.getvalue())


def test_only_households_with_marketing_consent_are_export_ready(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    profiles = spark.read.format("delta").load(f"{compliance_platform.settings.lake_uri}/silver/customers")
    consenting = {int(row["household_id"]) for row in profiles.where("marketing_consent").collect()}
    exported = _exported(compliance_platform)
    assert exported
    assert exported <= consenting


def test_a_consent_withdrawal_takes_the_household_out_of_the_next_export_ready_mart(
    spark: SparkSession, compliance_platform: CompliancePlatform
) -> None:
    exported = _exported(compliance_platform)
    household = max(exported)

    _withdraw_consent(compliance_platform, household)
    report = ingest_one_table(lambda: spark, compliance_platform.settings, "customers")
    build_marts(compliance_platform.settings, "--select", "export_household_segments+")

    assert report.files_new == 1
    assert _exported(compliance_platform) == exported - {household}
