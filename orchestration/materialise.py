"""``lakehouse run``: the whole asset graph materialised once, in this process, into the platform's Dagster home.

The run lands in the same instance ``lakehouse up`` opens, so the UI shows it:
every asset's materialisation, every check, the logs. Without a daemon no run
sensor sees it, so the run's audit record is written here; and no run
launcher watches this process, so a run it left unfinished (the process was
killed outright) is marked failed by the next ``lakehouse run``.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from lakehouse.audit_trail import record_audit, record_policy_change
from lakehouse.dagster_ui import dagster_home
from lakehouse.settings import Settings
from orchestration.definitions import PLATFORM, build_definitions
from orchestration.defs.lake.assets import silver_key
from orchestration.partitions import all_weeks_tags
from orchestration.run_audit import run_audit_record, step_failure_reason
from spark_jobs.tables import TABLES

RUN_COMMAND_TAG = {"lakehouse/command": "run"}
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
ABANDONED = "lakehouse run's process ended before its run did (killed outright); marked failed at the next start"

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
"""The run's own lines already say what each step does; Dagster's events and warnings stay in the UI."""


@dataclass
class PlatformRun:
    run_id: str
    success: bool
    materialised: int
    checks_passed: int
    checks_failed: list[str]
    failure: str
    silver: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """Each silver table's materialisation metadata (rows in, accepted, quarantined, written)."""

    def lake_total(self, name: str) -> int:
        return sum(int(metadata.get(name, 0)) for metadata in self.silver.values())


def materialise_platform(
    settings: Settings, households: int | None = None, instance: dg.DagsterInstance | None = None
) -> PlatformRun:
    """Run the ``platform`` job over every week (one run, single-run backfills) and record it in the audit trail."""
    instance = instance or dg.DagsterInstance.from_config(str(dagster_home(settings)))
    record_policy_change(settings, actor="lakehouse run")
    job = build_definitions(settings).resolve_job_def(PLATFORM.name)
    run_config: dict[str, Any] = {"ops": {"landing_feeds": {"config": {"households": households}}}, **QUIET_LOGS}
    result = job.execute_in_process(
        instance=instance,
        run_config=run_config,
        tags={**all_weeks_tags(), **RUN_COMMAND_TAG},
        raise_on_error=False,
    )
    checks = result.get_asset_check_evaluations()
    failed_checks = [f"{check.asset_key.to_user_string()}:{check.check_name}" for check in checks if not check.passed]
    failure = step_failure_reason(event for event in result.all_events if event.is_step_failure)
    if not result.success and not failure:
        failure = next((event.message or "" for event in result.all_events if event.is_run_failure), "run failed")
    silver_keys = {silver_key(table) for table in TABLES}
    silver: dict[str, Mapping[str, Any]] = {}
    for event in result.get_asset_materialization_events():
        if event.asset_key in silver_keys:
            metadata = event.step_materialization_data.materialization.metadata
            silver[event.asset_key.path[1]] = {name: entry.value for name, entry in metadata.items()}
    materialised = len({event.asset_key for event in result.get_asset_materialization_events()})
    record_audit(
        settings,
        run_audit_record(
            result.dagster_run, result.success, detail=failure, counts={"assets_materialised": materialised}
        ),
    )
    return PlatformRun(
        run_id=result.run_id,
        success=result.success,
        materialised=materialised,
        checks_passed=len(checks) - len(failed_checks),
        checks_failed=failed_checks,
        failure=failure,
        silver=silver,
    )


def fail_abandoned_runs(
    settings: Settings, reason: str = ABANDONED, instance: dg.DagsterInstance | None = None
) -> list[str]:
    """Mark failed, with an audit record each, the ``lakehouse run`` runs no process is finishing; their ids.

    The caller holds the run lock, so no ``lakehouse run`` is working: any run
    of one that is not finished was abandoned.
    """
    instance = instance or dg.DagsterInstance.from_config(str(dagster_home(settings)))
    abandoned = instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED, tags=RUN_COMMAND_TAG))
    for run in abandoned:
        instance.report_run_failed(run, reason)
        record_audit(settings, run_audit_record(run, succeeded=False, detail=reason))
    return [run.run_id for run in abandoned]
