"""A Dagster run as an audit record: what ran, over which weeks, started by whom, and why it failed."""

from collections.abc import Iterable

import dagster as dg

from governance.audit import AuditRecord

ACTOR_TAGS = ("dagster/schedule_name", "dagster/sensor_name", "dagster/backfill", "lakehouse/command")


def _actor(run: dg.DagsterRun) -> str:
    for tag in ACTOR_TAGS:
        if tag in run.tags:
            return f"{tag.rsplit('/', 1)[1]}:{run.tags[tag]}"
    return "operator (Dagster UI)"


def _scope(run: dg.DagsterRun) -> str:
    if "dagster/partition" in run.tags:
        return f" partition {run.tags['dagster/partition']}"
    if "dagster/asset_partition_range_start" in run.tags:
        start, end = run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]
        return f" partitions {start}..{end}"
    return ""


def step_failure_reason(failures: Iterable[dg.DagsterEvent]) -> str:
    """Each failed step and the first line of its error, or an empty string when no step failed."""
    reasons = []
    for event in failures:
        error = event.step_failure_data.error
        message = _first_line(error.message) if error else "failed"
        if error and error.cause and message.startswith("Exceeded max_retries"):
            message = f"{_first_line(error.cause.message)} ({message.lower()})"
        reasons.append(f"step {event.step_key}: {message}")
    return "; ".join(reasons)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "failed"


def run_audit_record(
    run: dg.DagsterRun, succeeded: bool, detail: str = "", counts: dict[str, int] | None = None
) -> AuditRecord:
    return AuditRecord(
        action="pipeline_run",
        subject=f"{run.job_name}{_scope(run)}",
        outcome="succeeded" if succeeded else "failed",
        actor=_actor(run),
        detail=detail,
        reference=f"dagster run {run.run_id}",
        counts=counts or {},
    )


def materialised_assets(instance: dg.DagsterInstance, run_id: str) -> int:
    """How many asset materialisations the run recorded."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=100_000)
    return len(records.records)
