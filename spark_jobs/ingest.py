"""Ingest one table: new landing files to bronze, then typed, judged, deduplicated, policy-applied rows to silver.

The flow for a table, each step safe to repeat after a crash:

1. files not yet in the ledger are this run's batch (a corrected file, same
   path and a new checksum, is new);
2. bronze gets the readable ones as received (skipping any already there);
3. silver's input is those files' bronze rows: typed, judged by the row rules,
   duplicates resolved, the PII policy applied;
4. the batch passes the table rules (its GX suite, and no file mostly rejected)
   or nothing below is committed;
5. quarantine, silver (append, or MERGE on the natural key) and the ledger
   are written, each with a transaction id derived from the batch, so a rerun
   commits each at most once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from delta.tables import DeltaTable
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.functions import col, current_timestamp, expr, lit, struct, to_json
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from governance.policy import Policy
from spark_jobs.bronze import CORRUPT_RECORD, METADATA_COLUMNS, bronze_batch
from spark_jobs.conform import RULE, judge_rows, mark_duplicates, type_rows, with_week
from spark_jobs.delta_io import append_once, ingested_files, table_exists, upsert_by_key
from spark_jobs.erasure import household_condition
from spark_jobs.landing_files import LandingFile
from spark_jobs.pii import apply_policy
from spark_jobs.quality import GateResult, TableRuleError, run_gate
from spark_jobs.tables import TableSpec

MAX_REJECTED_SHARE = 0.5
"""Table rule: a landing file with more than half its rows rejected is a broken feed, not a few bad rows."""

LEDGER_SCHEMA = StructType(
    [
        StructField("table", StringType()),
        StructField("source_file", StringType()),
        StructField("source_checksum", StringType()),
        StructField("batch_id", StringType()),
        StructField("rows_in", LongType()),
        StructField("rows_accepted", LongType()),
        StructField("rows_quarantined", LongType()),
        StructField("policy_version", LongType()),
        StructField("ingested_at", TimestampType()),
    ]
)


@dataclass(frozen=True)
class LakeLayout:
    """Where each zone's tables live under the lake root (a folder or ``s3a://`` URI)."""

    root: str
    quality_dir: Path

    def bronze(self, table: str) -> str:
        return f"{self.root}/bronze/{table}"

    def silver(self, table: str) -> str:
        return f"{self.root}/silver/{table}"

    def quarantine(self, table: str) -> str:
        return f"{self.root}/quarantine/{table}"

    @property
    def ledger(self) -> str:
        return f"{self.root}/_ledger/ingested_files"


@dataclass(frozen=True)
class PolicyContext:
    policy: Policy
    key: bytes
    presidio_model: str


@dataclass
class TableReport:
    """What one table's ingestion did; ``rows_in == rows_accepted + rows_quarantined`` always."""

    table: str
    files_seen: int
    files_new: int = 0
    unreadable: dict[str, str] = field(default_factory=dict)
    """Files not ingested (unreadable, empty, or breaking the schema), with the reason."""
    rows_in: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    bronze_rows_written: int = 0
    rows_of_erased_households: int = 0
    """Rows of households erased earlier that a feed sent again: left out before bronze, by law not by rule."""
    rows_written: int = 0
    silver_version: int | None = None
    gate: GateResult | None = None
    """The GX suite's verdict on this run's batch; None when there was no batch."""
    seconds: float = 0.0


def batch_id_of(files: Sequence[LandingFile]) -> str:
    identities = "\n".join(sorted(f"{file.relative_path}\t{file.checksum}" for file in files))
    return hashlib.sha256(identities.encode()).hexdigest()[:16]


def ledger_entries(spark: SparkSession, layout: LakeLayout, table: str) -> dict[str, set[str]]:
    """Source file -> the checksums of it already ingested for ``table``."""
    if not table_exists(spark, layout.ledger):
        return {}
    rows = (
        spark.read.format("delta").load(layout.ledger).where(col("table") == table)
        .select("source_file", "source_checksum").collect()
    )  # fmt: skip
    entries: dict[str, set[str]] = {}
    for row in rows:
        entries.setdefault(row["source_file"], set()).add(row["source_checksum"])
    return entries


def schema_break(spec: TableSpec, file: LandingFile) -> str | None:
    """Why a file's declared columns break the table's schema, or None.

    The schema rule: a file may add columns (additive change, allowed when the
    PII policy classifies them) but not lose a declared one. A file that does
    is not ingested; it stays in landing, named in the report, until fixed.
    """
    if file.columns is None:
        return None
    missing = [column for column in spec.column_names if column not in file.columns]
    if not missing:
        return None
    return f"schema: missing column(s) {', '.join(missing)}; only additive schema changes are accepted"


def _known_keys(spark: SparkSession, layout: LakeLayout, spec: TableSpec) -> dict[str, DataFrame]:
    known: dict[str, DataFrame] = {}
    for reference in spec.references:
        path = layout.silver(reference.table)
        if table_exists(spark, path):
            known[reference.table] = spark.read.format("delta").load(path).select(reference.key)
        else:
            known[reference.table] = spark.createDataFrame([], StructType([StructField(reference.key, LongType())]))
    return known


def _bronze_rows(spark: SparkSession, layout: LakeLayout, files: Sequence[LandingFile]) -> DataFrame:
    wanted = spark.createDataFrame([file.identity for file in files], "_source_file string, _source_checksum string")
    bronze = spark.read.format("delta").load(layout.bronze(files[0].table))
    return bronze.join(wanted.hint("broadcast"), on=["_source_file", "_source_checksum"], how="left_semi")


def _check_rejected_share(table: str, per_file: Mapping[str, Mapping[str | None, int]]) -> None:
    for source_file, counts in sorted(per_file.items()):
        total = sum(counts.values())
        rejected = {rule: count for rule, count in counts.items() if rule is not None}
        if total and sum(rejected.values()) / total > MAX_REJECTED_SHARE:
            worst = max(rejected, key=lambda rule: rejected[rule])
            raise TableRuleError(
                f"table {table!r}: batch not committed: file {source_file} broke table rule "
                f"'at most {MAX_REJECTED_SHARE:.0%} of a file's rows rejected': {sum(rejected.values()):,} of "
                f"{total:,} rows rejected, mostly '{worst}' ({rejected[worst]:,} rows)"
            )


def _quarantine_rows(judged: DataFrame) -> DataFrame:
    payload = [name for name in judged.columns if name not in (*METADATA_COLUMNS, RULE, CORRUPT_RECORD)]
    record = to_json(struct(*[col(f"`{name}`") for name in payload])).alias("_record")
    return judged.where(col(RULE).isNotNull()).select(
        record, col(RULE), *METADATA_COLUMNS, current_timestamp().alias("_quarantined_at")
    )


def _last_commit_rows(spark: SparkSession, path: str) -> tuple[int, int]:
    """The table's current version and how many rows its last commit wrote (inserted, updated or copied)."""
    last = DeltaTable.forPath(spark, path).history(1).select("version", "operationMetrics").first()
    if last is None:
        return 0, 0
    metrics = last["operationMetrics"] or {}
    written = int(metrics.get("numOutputRows", 0)) or int(metrics.get("numTargetRowsInserted", 0)) + int(
        metrics.get("numTargetRowsUpdated", 0)
    )
    return int(last["version"]), written


def ingest_table(
    spark: SparkSession,
    layout: LakeLayout,
    spec: TableSpec,
    files: Sequence[LandingFile],
    privacy: PolicyContext,
    ingested_at: datetime,
    erased: frozenset[int] = frozenset(),
) -> TableReport:
    """Bring ``spec``'s new landing files into bronze and silver; a no-op when there are none.

    Rows of ``erased`` households (the erasure register) never reach bronze, so a source that sends
    an erased shopper again cannot bring them back.
    """
    started = time.perf_counter()
    report = TableReport(spec.name, files_seen=len(files))
    done = ledger_entries(spark, layout, spec.name)
    new = [file for file in files if file.checksum not in done.get(file.relative_path, set())]
    report.files_new = len(new)
    refused = {file.relative_path: file.unreadable or schema_break(spec, file) for file in new}
    report.unreadable = {path: reason for path, reason in refused.items() if reason}
    readable = [file for file in new if not refused[file.relative_path]]
    if not readable:
        report.seconds = time.perf_counter() - started
        return report
    batch_id = batch_id_of(new)

    in_bronze = ingested_files(spark, layout.bronze(spec.name))
    to_bronze = [file for file in readable if file.identity not in in_bronze]
    if to_bronze:
        landed = bronze_batch(spark, to_bronze, spec, batch_id, ingested_at)
        if landed is not None and erased and "household_id" in landed.columns:
            of_erased = expr(household_condition(sorted(erased)))
            report.rows_of_erased_households = landed.where(of_erased).count()
            landed = landed.where(~of_erased | col("household_id").isNull())
        if landed is not None:
            append_once(landed, layout.bronze(spec.name), app_id=f"bronze:{spec.name}:{batch_id}")
            report.bronze_rows_written = _last_commit_rows(spark, layout.bronze(spec.name))[1]

    typed = with_week(type_rows(_bronze_rows(spark, layout, readable), spec), spec)
    judged = mark_duplicates(judge_rows(typed, spec, _known_keys(spark, layout, spec)), spec)
    judged = judged.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        counts = judged.groupBy("_source_file", RULE).count().collect()
        per_file: dict[str, dict[str | None, int]] = {}
        for row in counts:
            per_file.setdefault(row["_source_file"], {})[row[RULE]] = int(row["count"])
            rule = row[RULE]
            report.rows_in += int(row["count"])
            if rule is None:
                report.rows_accepted += int(row["count"])
            else:
                report.rows_quarantined += int(row["count"])
                report.by_rule[rule] = report.by_rule.get(rule, 0) + int(row["count"])
        _check_rejected_share(spec.name, per_file)

        accepted = judged.where(col(RULE).isNull()).drop(RULE, CORRUPT_RECORD)
        silver_rows = apply_policy(accepted, spec.name, privacy.policy, privacy.key, privacy.presidio_model)
        silver_rows = silver_rows.withColumn("_policy_version", lit(privacy.policy.version))
        if privacy.policy.runs_per_row(spec.name):
            # Tokenising and masking run Python per row: do it once, not once per quality check and write.
            silver_rows = silver_rows.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            gate = report.gate = run_gate(layout.quality_dir, spec, silver_rows, run_name=f"{spec.name}-{batch_id}")
            if not gate.success:
                raise TableRuleError(
                    f"table {spec.name!r}: batch not committed: GX suite {spec.name}_silver failed "
                    f"{'; '.join(gate.failed_rules)} on {report.rows_accepted:,} rows from "
                    f"{', '.join(file.relative_path for file in readable[:5])}"
                    f"{' and more' if len(readable) > 5 else ''}",
                    gate=gate,
                )
            if report.rows_quarantined:
                append_once(
                    _quarantine_rows(judged), layout.quarantine(spec.name), f"quarantine:{spec.name}:{batch_id}"
                )
            _write_silver(spark, layout, spec, silver_rows, readable, done, batch_id)
        finally:
            silver_rows.unpersist()
        report.silver_version, report.rows_written = _last_commit_rows(spark, layout.silver(spec.name))
        _append_ledger(spark, layout, spec, readable, per_file, batch_id, privacy.policy.version, ingested_at)
    finally:
        judged.unpersist()
    report.seconds = time.perf_counter() - started
    return report


def _write_silver(
    spark: SparkSession,
    layout: LakeLayout,
    spec: TableSpec,
    rows: DataFrame,
    files: Sequence[LandingFile],
    done: Mapping[str, set[str]],
    batch_id: str,
) -> None:
    path = layout.silver(spec.name)
    app_id = f"silver:{spec.name}:{batch_id}"
    if not table_exists(spark, path):
        append_once(rows, path, app_id, partition_by=spec.partition_by)
        return
    weeks = [row["week"] for row in rows.select("week").distinct().collect()] if spec.partitioned else []
    compared = [name for name in rows.columns if name not in (*METADATA_COLUMNS, "_policy_version")]
    replaced = [file.relative_path for file in files if file.relative_path in done]
    upsert_by_key(spark, rows, path, spec.keys, compared, app_id, weeks=weeks, replaced_files=replaced)


def _append_ledger(
    spark: SparkSession,
    layout: LakeLayout,
    spec: TableSpec,
    files: Sequence[LandingFile],
    per_file: Mapping[str, Mapping[str | None, int]],
    batch_id: str,
    policy_version: int,
    ingested_at: datetime,
) -> None:
    entries = []
    for file in files:
        counts = per_file.get(file.relative_path, {})
        accepted = counts.get(None, 0)
        total = sum(counts.values())
        entries.append(
            (spec.name, file.relative_path, file.checksum, batch_id, total, accepted, total - accepted,
             policy_version, ingested_at)
        )  # fmt: skip
    append_once(spark.createDataFrame(entries, LEDGER_SCHEMA), layout.ledger, f"ledger:{spec.name}:{batch_id}")
