"""Failures: a data error fails at once and for good, an unreachable warehouse is retried, and both are audited."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from pyspark.sql import SparkSession

from lakehouse.audit_trail import audit_records
from lakehouse.dagster_ui import dagster_home
from lakehouse.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.defs.lake.assets import FILES_CHECK, bronze_key, silver_key
from orchestration.defs.operations.sensors import audit_failed_runs
from orchestration.partitions import partition_of_week
from orchestration.run_audit import step_failure_reason

pytestmark = pytest.mark.integration

MISSING_WEEK = 17
BROKEN_STORES = '"store_id","retailer_id","retailer_name","country"\n300,"R03","Northgate Markets","GB"\n,"R04","x","US"\n,,"y","US"\n'  # noqa: E501


def _settings(tmp_path: Path, **updates: object) -> Settings:
    data_dir = tmp_path / "data"
    settings = Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "tokenisation.key")
    return settings.model_copy(update=updates)


def _materialise(
    settings: Settings, keys: list[dg.AssetKey], partition_key: str | None = None
) -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    instance = dg.DagsterInstance.from_config(str(dagster_home(settings)))
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, asset_selection=keys, partition_key=partition_key, raise_on_error=False
    )
    return result, instance


def _events(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> list[dg.DagsterEvent]:
    return [event for event in result.all_events if event.event_type == kind]


def test_a_file_mostly_rejected_fails_its_check_naming_file_and_rule_while_the_run_goes_on(
    spark: SparkSession, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    stores = Path(settings.landing_uri) / "stores" / "stores.csv"
    stores.parent.mkdir(parents=True)
    stores.write_text(BROKEN_STORES)

    result, _ = _materialise(settings, [bronze_key("stores"), silver_key("stores")])

    assert result.success
    [check] = [check for check in result.get_asset_check_evaluations() if check.check_name == FILES_CHECK]
    assert not check.passed
    set_aside = check.metadata["set_aside"].value
    assert isinstance(set_aside, dict)
    assert set_aside["stores/stores.csv"].startswith(
        "table rule 'at most 50% of a file's new rows rejected': 2 of 3 rows rejected"
    )


def test_a_data_error_fails_without_retries_and_the_audit_trail_says_why(spark: SparkSession, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    (Path(settings.landing_uri) / "transactions").mkdir(parents=True)

    result, instance = _materialise(
        settings, [bronze_key("transactions"), silver_key("transactions")], partition_of_week(MISSING_WEEK)
    )

    assert not result.success
    assert _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    [failure] = _events(result, dg.DagsterEventType.STEP_FAILURE)
    assert failure.step_key == "ingest_transactions"
    message = failure.step_failure_data.error.message if failure.step_failure_data.error else ""
    assert f"no landing file for transactions week {MISSING_WEEK}" in message

    run = result.dagster_run
    failed = next(event for event in result.all_events if event.event_type == dg.DagsterEventType.RUN_FAILURE)
    audit_failed_runs(
        dg.build_run_status_sensor_context(
            sensor_name="audit_failed_runs",
            dagster_event=failed,
            dagster_instance=instance,
            dagster_run=run,
            resources={"settings": settings},
        ).for_run_failure()
    )
    [record] = audit_records(settings)
    assert (record.action, record.outcome, record.reference) == ("pipeline_run", "failed", f"dagster run {run.run_id}")
    assert record.detail.startswith("step ingest_transactions: ")
    assert f"no landing file for transactions week {MISSING_WEEK}" in record.detail


def test_an_unreachable_warehouse_is_retried_with_backoff_then_fails(tmp_path: Path) -> None:
    settings = _settings(tmp_path, clickhouse_url="http://warehouse.invalid:8123")

    result, _ = _materialise(settings, [dg.AssetKey(["warehouse", "silver_tables"])])

    assert not result.success
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 3
    assert step_failure_reason(_events(result, dg.DagsterEventType.STEP_FAILURE)) == (
        "step warehouse__silver_tables: lakehouse.warehouse.WarehouseUnreachableError: "
        "warehouse http://warehouse.invalid:8123 does not answer /ping (exceeded max_retries of 3)"
    )
