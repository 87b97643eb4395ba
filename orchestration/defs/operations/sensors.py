"""Every finished run goes into the audit trail: who started it, how it ended, and why a failure failed."""

import dagster as dg

from governance.audit import AuditRecord, append_audit
from lakehouse.settings import Settings

ACTOR_TAGS = ("dagster/schedule_name", "dagster/sensor_name", "dagster/backfill", "user")


def _actor(run: dg.DagsterRun) -> str:
    for tag in ACTOR_TAGS:
        if tag in run.tags:
            return f"{tag.removeprefix('dagster/')}:{run.tags[tag]}"
    return "operator"


def _scope(run: dg.DagsterRun) -> str:
    if "dagster/partition" in run.tags:
        return f" partition {run.tags['dagster/partition']}"
    if "dagster/asset_partition_range_start" in run.tags:
        return (
            f" partitions {run.tags['dagster/asset_partition_range_start']}.."
            f"{run.tags['dagster/asset_partition_range_end']}"
        )
    return ""


def failure_reason(context: dg.RunFailureSensorContext) -> str:
    """The failed steps and their errors, one line each, or the run's own failure message."""
    reasons = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error else "failed"
        reasons.append(f"step {event.step_key}: {message}")
    return "; ".join(reasons) or (context.failure_event.message or "the run failed before any step")


@dg.run_failure_sensor(name="audit_failed_runs", default_status=dg.DefaultSensorStatus.RUNNING)
def audit_failed_runs(context: dg.RunFailureSensorContext, settings: dg.ResourceParam[Settings]) -> None:
    run = context.dagster_run
    append_audit(
        settings.audit_log,
        AuditRecord(
            action="pipeline_run",
            subject=f"{run.job_name}{_scope(run)}",
            outcome="failed",
            actor=_actor(run),
            detail=failure_reason(context),
            reference=f"dagster run {run.run_id}",
        ),
    )


@dg.run_status_sensor(
    name="audit_succeeded_runs", run_status=dg.DagsterRunStatus.SUCCESS, default_status=dg.DefaultSensorStatus.RUNNING
)
def audit_succeeded_runs(context: dg.RunStatusSensorContext, settings: dg.ResourceParam[Settings]) -> None:
    run = context.dagster_run
    materialised = context.instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
    ).records
    append_audit(
        settings.audit_log,
        AuditRecord(
            action="pipeline_run",
            subject=f"{run.job_name}{_scope(run)}",
            outcome="succeeded",
            actor=_actor(run),
            reference=f"dagster run {run.run_id}",
            counts={"assets_materialised": len(materialised)},
        ),
    )
