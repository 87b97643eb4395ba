"""The same definitions on MinIO: only the settings differ, and the lake assets read and write S3."""

from __future__ import annotations

import pytest

from lakehouse.ingest import IngestSummary
from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.defs.lake.assets import bronze_key, silver_key
from orchestration.defs.landing.assets import landing_key
from spark_jobs.tables import TABLES
from tests.conftest import MINIO_HOUSEHOLDS

pytestmark = pytest.mark.integration


def test_the_lake_assets_materialise_on_minio_with_their_checks(
    s3_settings: Settings, ingested_minio: tuple[LandingManifest, IngestSummary]
) -> None:
    manifest, _ = ingested_minio
    keys = [*(landing_key(table) for table in TABLES), bronze_key("stores"), silver_key("stores")]
    job = build_definitions(s3_settings).resolve_implicit_global_asset_job_def()

    result = job.execute_in_process(
        asset_selection=keys, run_config={"ops": {"landing_feeds": {"config": {"households": MINIO_HOUSEHOLDS}}}}
    )

    assert result.success
    silver = next(e for e in result.get_asset_materialization_events() if e.asset_key == silver_key("stores"))
    metadata = silver.step_materialization_data.materialization.metadata
    assert metadata["location"].value == f"{s3_settings.lake_uri}/silver/stores"
    assert metadata["rows_written"].value == 0
    [check] = [check for check in result.get_asset_check_evaluations() if check.check_name == "gx_suite"]
    assert check.passed
    assert check.metadata["validated"].value == "silver as it stands"
    landing = [e for e in result.get_asset_materialization_events() if e.asset_key == landing_key("stores")]
    assert landing[0].step_materialization_data.materialization.metadata["dagster/row_count"].value == manifest.rows(
        "stores"
    )
