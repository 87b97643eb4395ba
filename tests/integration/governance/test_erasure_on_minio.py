"""Right to erasure on a lake and landing zone in S3 (MinIO), with marts read over S3: only the URIs differ.

The test erases from a server-side copy of the session's MinIO sample (landing and lake), not the sample itself.
"""

from __future__ import annotations

import pytest
from pyspark.sql import SparkSession

from governance.erasure import ErasureRequest
from lakehouse.audit_trail import audit_records
from lakehouse.dbt import build_marts
from lakehouse.erasure import delta_locations, erase_households, find_remains
from lakehouse.ingest import IngestSummary
from lakehouse.landing.erase import household_feeds, landing_files_holding
from lakehouse.landing.land import LandingManifest
from lakehouse.landing.storage import landing_store
from lakehouse.settings import Settings
from spark_jobs.delta_io import table_exists
from spark_jobs.erasure import household_condition, versions_holding
from tests.clickhouse import warehouse_on_free_port
from tests.conftest import LAKE_BUCKET
from tests.integration.governance.conftest import lake_rows_by_household, warehouse_rows_by_household, without
from tests.lake import copy_s3_prefix

pytestmark = pytest.mark.integration


def test_an_erased_household_is_gone_from_the_s3_lake_its_history_the_marts_and_the_landing_files(
    spark: SparkSession,
    s3_settings: Settings,
    ingested_minio: tuple[LandingManifest, IngestSummary],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("erasure-s3")
    settings = s3_settings.model_copy(
        update={
            "data_dir": data_dir,
            "lake_uri": f"s3a://{LAKE_BUCKET}/erasure/lake",
            "landing_uri": f"s3://{LAKE_BUCKET}/erasure/landing",
        }
    )
    for zone in ("landing", "lake"):
        assert copy_s3_prefix(settings, LAKE_BUCKET, f"{zone}/", f"erasure/{zone}/") > 0
    households = sorted(
        int(row["household_id"])
        for row in spark.read.format("delta").load(f"{settings.lake_uri}/silver/customers").collect()
    )
    household = households[0]
    before = lake_rows_by_household(spark, settings)

    with warehouse_on_free_port(settings, data_dir / "warehouse") as warehouse:
        build_marts(warehouse.settings)
        marts_before = warehouse_rows_by_household(warehouse.settings)
        [outcome] = erase_households(lambda: spark, warehouse.settings, [ErasureRequest(household)], "dpo@retailer")
        remains = find_remains(lambda: spark, warehouse.settings, [household])
        marts_after = warehouse_rows_by_household(warehouse.settings)

    assert any(household in counts for counts in marts_before.values())
    assert marts_after == without(marts_before, household)
    assert outcome.status == "erased"
    assert remains == []
    for location in delta_locations(settings):
        if table_exists(spark, location.path):
            assert (
                versions_holding(spark, location.path, household_condition([household], location.in_json_record)) == []
            )
    store = landing_store(settings)
    assert [path for spec in household_feeds() for path in landing_files_holding(store, spec.name, {household})] == []
    assert lake_rows_by_household(spark, settings) == without(before, household)
    assert [record.action for record in audit_records(settings) if record.action == "erasure"] == ["erasure"]
    assert audit_records(settings)[-1].reference.endswith(
        f"{outcome.receipt.request_id}.json" if outcome.receipt else ""
    )
