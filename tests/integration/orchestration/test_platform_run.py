"""The whole asset graph materialised in-process on the sample, and what a second look at a week finds."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from lakehouse.audit_trail import audit_records
from lakehouse.dbt import dbt_vars
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client
from orchestration.definitions import build_definitions
from orchestration.defs.lake.assets import bronze_key, silver_key
from orchestration.defs.models.assets import PLATFORM_ASSETS
from orchestration.materialise import PlatformRun
from orchestration.partitions import partition_of_week
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.integration

REVISITED_WEEK = 10


def test_every_asset_is_materialised_and_every_check_passes(
    platform_run: PlatformRun, platform_settings: Settings, platform_instance: dg.DagsterInstance
) -> None:
    graph = build_definitions(platform_settings).resolve_asset_graph()
    assets = PLATFORM_ASSETS.resolve(graph)

    assert platform_run.success, platform_run.failure
    assert platform_run.materialised == len(assets)
    assert platform_run.checks_failed == []
    assert platform_run.checks_passed == len([check for check in graph.asset_check_keys if check.asset_key in assets])
    for key in assets:
        assert platform_instance.get_latest_materialization_event(key) is not None, key.to_user_string()


def test_each_model_built_as_a_table_carries_its_row_count_and_a_view_none(
    platform_run: PlatformRun, platform_settings: Settings, platform_instance: dg.DagsterInstance
) -> None:
    assert platform_run.success, platform_run.failure
    client = admin_client(platform_settings)
    counted = {"category/category_performance_weekly", "category/fct_sales_lines", "promotions/promotion_lift"}

    for name in sorted(counted | {"staging/stg_silver__transactions"}):
        event = platform_instance.get_latest_materialization_event(dg.AssetKey(name.split("/")))
        assert event is not None and event.asset_materialization is not None, name
        metadata = event.asset_materialization.metadata
        if name in counted:
            rows = int(client.query(f"SELECT count() FROM {name.replace('/', '.')}").result_rows[0][0])
            assert rows > 0, name
            assert metadata["dagster/row_count"].value == rows, name
        else:
            assert "dagster/row_count" not in metadata, name


def test_the_lake_holds_every_accepted_row_and_counts_add_up(platform_run: PlatformRun) -> None:
    for table in TABLES:
        metadata = platform_run.silver[table]
        assert metadata["rows_in"] == metadata["rows_accepted"] + metadata["rows_quarantined"], table
        assert metadata["rows_written"] == metadata["rows_accepted"], table
    assert platform_run.silver["transactions"]["rows_written"] > 10_000


def test_the_run_is_in_the_audit_trail(platform_run: PlatformRun, platform_settings: Settings) -> None:
    records = [record for record in audit_records(platform_settings) if platform_run.run_id in record.reference]

    assert [(record.action, record.outcome, record.actor) for record in records] == [
        ("pipeline_run", "succeeded", "command:run")
    ]
    assert records[0].subject == "platform partitions 2016-12-26..2017-12-25"
    assert records[0].counts == {"assets_materialised": platform_run.materialised}


def _delta_versions(path: Path) -> int:
    return len(list((path / "_delta_log").glob("*.json")))


def _week_of_mart(settings: Settings, table: str) -> tuple[int, float]:
    client = admin_client(settings)
    rows = client.query(f"SELECT count(), sum(sales_value) FROM {table} WHERE week = {REVISITED_WEEK}").result_rows
    return int(rows[0][0]), round(float(rows[0][1]), 2)


def test_materialising_an_unchanged_week_again_writes_no_rows(
    platform_run: PlatformRun, platform_settings: Settings, platform_instance: dg.DagsterInstance
) -> None:
    assert platform_run.success, platform_run.failure
    lake = Path(platform_settings.lake_uri)
    versions_before = {zone: _delta_versions(lake / zone / "transactions") for zone in ("bronze", "silver")}
    mart_before = _week_of_mart(platform_settings, "category.fct_sales_lines")
    definitions = build_definitions(platform_settings)
    weekly = [bronze_key("transactions"), silver_key("transactions"), dg.AssetKey(["category", "fct_sales_lines"])]

    result = definitions.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=platform_instance, partition_key=partition_of_week(REVISITED_WEEK), asset_selection=weekly
    )

    assert result.success
    written = {
        event.asset_key: event.step_materialization_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert written[bronze_key("transactions")]["rows_written"].value == 0
    assert written[silver_key("transactions")]["rows_written"].value == 0
    assert written[silver_key("transactions")]["delta_version"].value == "unchanged"
    assert {zone: _delta_versions(lake / zone / "transactions") for zone in ("bronze", "silver")} == versions_before
    assert _week_of_mart(platform_settings, "category.fct_sales_lines") == mart_before
    dbt_commands = [
        entry.user_message for entry in platform_instance.all_logs(result.run_id) if "dbt build" in entry.user_message
    ]
    window = dbt_vars(platform_settings, from_week=REVISITED_WEEK, to_week=REVISITED_WEEK)
    assert window.startswith(f'{{"from_week": {REVISITED_WEEK}, "to_week": {REVISITED_WEEK}, "lake_uri": ')
    assert any(f"--vars {window}" in m for m in dbt_commands)
    checks = result.get_asset_check_evaluations()
    assert checks
    assert [check.check_name for check in checks if not check.passed] == []
