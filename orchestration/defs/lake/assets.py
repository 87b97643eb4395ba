"""The Delta lake: for every table, bronze (raw as received) and silver (typed, judged, PII policy applied).

One Spark step per table writes both, because silver's batch is exactly the
bronze rows of the files just landed. Weekly tables are partitioned by the
data's week; a run over a range of weeks is one step (single-run backfill).
The table's GX suite is the silver asset's check: on the batch before it is
committed, or on silver as it stands when no file was new (before silver
exists, a pass on no rows, labelled so). A second check fails when a new
landing file was set aside (unreadable, off-schema, unclassified, mostly
rejected) while the others went on. Silver's freshness is when its rows last
changed, not when the step last ran.
"""

from collections.abc import Iterator

import dagster as dg

from lakehouse.ingest import ingest_one_table, lake_layout, silver_updated_at, silver_verdict
from lakehouse.reconciliation import LANDING_SALES_WEEKLY, SALES_FEED
from lakehouse.settings import Settings
from orchestration.defs.landing.assets import landing_key
from orchestration.failures import TRANSIENT_RETRY, data_errors_are_final
from orchestration.owners import PLATFORM_OWNER
from orchestration.partitions import WEEK_PARTITIONS, weeks_label, weeks_of_run
from orchestration.resources import SparkResource
from spark_jobs.quality import GateResult, TableRuleError
from spark_jobs.session import SparkSource
from spark_jobs.tables import TABLES, TableSpec

GX_CHECK = "gx_suite"
FILES_CHECK = "landing_files_accepted"
"""Fails, without stopping the run, when a new landing file was set aside; the other files went on."""


def bronze_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["bronze", table])


def silver_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["silver", table])


def _gx_check_result(table: str, gate: GateResult, scope: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=silver_key(table),
        check_name=GX_CHECK,
        passed=gate.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"suite": f"{table}_silver", "validated": scope, "failed": "; ".join(gate.failed_rules) or "none",
                  "result": gate.result_id},
    )  # fmt: skip


def _ingested(
    context: dg.AssetExecutionContext, session: SparkSource, settings: Settings, table: str
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """One table's ingestion, then its assets' metadata and checks, as Dagster records them."""
    weeks = weeks_of_run(context)
    try:
        with data_errors_are_final():
            report = ingest_one_table(session, settings, table, weeks)
    except dg.Failure as failure:
        cause = failure.__cause__
        if isinstance(cause, TableRuleError) and cause.gate is not None:
            yield _gx_check_result(table, cause.gate, "the batch that was refused")
        raise
    layout = lake_layout(settings)
    scope = {"data_weeks": weeks_label(weeks)} if weeks is not None else {}
    yield dg.MaterializeResult(
        asset_key=bronze_key(table),
        metadata={
            "rows_written": report.bronze_rows_written,
            "files_new": report.files_new,
            "files_seen": report.files_seen,
            "files_not_ingested": "; ".join(f"{path}: {why}" for path, why in report.unreadable.items()) or "none",
            "location": dg.MetadataValue.path(layout.bronze(table)),
            **scope,
        },
    )
    updated_at = silver_updated_at(settings, table)
    landing_figures = (
        {"landing_sales_weekly": dg.MetadataValue.path(f"{layout.root}/{LANDING_SALES_WEEKLY}")}
        if table == SALES_FEED
        else {}
    )
    yield dg.MaterializeResult(
        asset_key=silver_key(table),
        metadata={
            "rows_in": report.rows_in,
            "rows_accepted": report.rows_accepted,
            "rows_quarantined": report.rows_quarantined,
            "rows_written": report.rows_written,
            "delta_version": report.silver_version if report.silver_version is not None else "unchanged",
            "quarantine_rules": dg.MetadataValue.json(report.by_rule),
            "location": dg.MetadataValue.path(layout.silver(table)),
            **landing_figures,
            **scope,
            **({"dagster/last_updated_timestamp": dg.MetadataValue.timestamp(updated_at)} if updated_at else {}),
        },
    )
    verdict = silver_verdict(session, settings, report, weeks)
    if verdict is not None:
        yield _gx_check_result(table, *verdict)
    else:
        yield _gx_check_result(table, GateResult(True, (), "none"), "no rows: silver does not exist yet")
    yield dg.AssetCheckResult(
        asset_key=silver_key(table),
        check_name=FILES_CHECK,
        passed=not report.unreadable,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"files_new": report.files_new, "set_aside": dg.MetadataValue.json(report.unreadable)},
    )


def table_ingestion(spec: TableSpec) -> dg.AssetsDefinition:
    """The bronze and silver assets of one table, and the GX suite as silver's check."""
    table = spec.name
    partitions = WEEK_PARTITIONS if spec.weekly else None

    @dg.multi_asset(
        name=f"ingest_{table}",
        specs=[
            dg.AssetSpec(
                bronze_key(table),
                deps=[landing_key(table)],
                group_name="bronze",
                kinds={"spark", "delta"},
                owners=[PLATFORM_OWNER],
                description=f"`{table}` as received plus ingest metadata: the only zone with raw personal data.",
            ),
            dg.AssetSpec(
                silver_key(table),
                deps=[bronze_key(table), *(silver_key(ref.table) for ref in spec.checked_references)],
                group_name="silver",
                kinds={"spark", "delta"},
                owners=[PLATFORM_OWNER],
                description=f"`{table}` typed, judged by its row rules, deduplicated on "
                f"{', '.join(spec.keys)}, personal data tokenised or masked; rejects in quarantine/{table}.",
            ),
        ],
        check_specs=[
            dg.AssetCheckSpec(
                GX_CHECK, asset=silver_key(table), description=f"Great Expectations suite {table}_silver"
            ),
            dg.AssetCheckSpec(
                FILES_CHECK,
                asset=silver_key(table),
                description="Every new landing file was ingested: none set aside as unreadable, off-schema, "
                "unclassified by the PII policy or mostly rejected",
            ),
        ],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions else None,
        retry_policy=TRANSIENT_RETRY,
        can_subset=False,
    )
    def ingest(
        context: dg.AssetExecutionContext, spark: SparkResource, settings: dg.ResourceParam[Settings]
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        with data_errors_are_final(spark_of=settings):
            yield from _ingested(context, spark.session, settings, table)

    return ingest


LAKE_ASSETS = [table_ingestion(spec) for spec in TABLES.values()]
