"""Every finished run goes into the audit trail: who started it, how it ended, and why a failure failed."""

import dagster as dg

from lakehouse.audit_trail import record_audit
from lakehouse.settings import Settings
from orchestration.run_audit import materialised_assets, run_audit_record, step_failure_reason


@dg.run_failure_sensor(
    name="audit_failed_runs",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes every failed run, and the first line of why it failed, to the audit table.",
)
def audit_failed_runs(context: dg.RunFailureSensorContext, settings: dg.ResourceParam[Settings]) -> None:
    reason = step_failure_reason(context.get_step_failure_events()) or (
        context.failure_event.message or "the run failed before any step started"
    )
    record_audit(settings, run_audit_record(context.dagster_run, succeeded=False, detail=reason))


@dg.run_status_sensor(
    name="audit_succeeded_runs",
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes every succeeded run, with how many assets it materialised, to the audit table.",
)
def audit_succeeded_runs(context: dg.RunStatusSensorContext, settings: dg.ResourceParam[Settings]) -> None:
    run = context.dagster_run
    counts = {"assets_materialised": materialised_assets(context.instance, run.run_id)}
    record_audit(settings, run_audit_record(run, succeeded=True, counts=counts))
