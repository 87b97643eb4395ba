"""The landing sensor: a new weekly file, in a local folder or under an S3 prefix, asks for a run of that week only."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData

from lakehouse.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.defs.lake.assets import bronze_key, silver_key
from orchestration.defs.landing.sensors import new_landing_files
from orchestration.defs.models.assets import dataset_key
from orchestration.materialise import PlatformRun
from tests.conftest import LAKE_BUCKET
from tests.lake import late_transactions_file

pytestmark = pytest.mark.integration

LATE_WEEK = 12
LATE_FILE = f"transactions/week_{LATE_WEEK:02d}/transactions_week{LATE_WEEK:02d}_late.parquet"


def _evaluate(settings: Settings, cursor: str | None) -> SensorExecutionData:
    """One tick as the daemon runs it, target and run-request checks included."""
    context = dg.build_sensor_context(
        cursor=cursor, resources={"settings": settings}, definitions=build_definitions(settings)
    )
    return new_landing_files(settings).evaluate_tick(context)


def _assert_one_run_for_the_late_week(result: SensorExecutionData) -> None:
    [request] = result.run_requests or []
    assert request.partition_key == "2017-03-13"
    assert request.asset_selection is not None
    assert {bronze_key("transactions"), silver_key("transactions")} <= set(request.asset_selection)
    assert dg.AssetKey(["category", "fct_sales_lines"]) in request.asset_selection
    assert silver_key("promotions") not in request.asset_selection
    assert dataset_key("recommend") not in request.asset_selection, "the models train in their own weekly job"
    assert request.tags["landing/feed"] == "transactions"


def test_a_new_weekly_file_in_the_landing_folder_requests_a_run_for_exactly_its_week(
    platform_run: PlatformRun, platform_settings: Settings
) -> None:
    first = _evaluate(platform_settings, cursor=None)
    assert not first.run_requests
    assert first.skip_message is not None and "watching" in first.skip_message
    unchanged = _evaluate(platform_settings, cursor=first.cursor)
    assert not unchanged.run_requests
    late = platform_settings.data_dir / "landing" / LATE_FILE

    late.write_bytes(late_transactions_file(platform_settings, LATE_WEEK))
    try:
        result = _evaluate(platform_settings, cursor=unchanged.cursor)
    finally:
        late.unlink()

    _assert_one_run_for_the_late_week(result)


def test_a_new_weekly_file_under_the_s3_prefix_requests_a_run_for_exactly_its_week(
    platform_run: PlatformRun, platform_settings: Settings, s3_settings: Settings
) -> None:
    on_s3 = platform_settings.model_copy(
        update={
            "landing_uri": f"s3://{LAKE_BUCKET}/sensor-landing",
            "s3_endpoint": s3_settings.s3_endpoint,
            "s3_access_key": s3_settings.s3_access_key,
            "s3_secret_key": s3_settings.s3_secret_key,
        }
    )
    client = s3_settings.object_store.boto3_client()
    rows = late_transactions_file(platform_settings, LATE_WEEK)
    client.put_object(
        Bucket=LAKE_BUCKET, Key="sensor-landing/transactions/week_11/transactions_week11.parquet", Body=rows
    )
    first = _evaluate(on_s3, cursor=None)

    client.put_object(Bucket=LAKE_BUCKET, Key=f"sensor-landing/{LATE_FILE}", Body=rows)
    result = _evaluate(on_s3, cursor=first.cursor)

    assert first.skip_message is not None and "watching 1 weekly files" in first.skip_message
    _assert_one_run_for_the_late_week(result)
