"""Ingest one table: new landing files to bronze, then typed, judged, deduplicated, policy-applied rows to silver.

The flow for a table, each step safe to repeat after a crash:

1. files not yet in the ledger are this run's batch (a corrected file, same
   path and a new checksum, is new); one that cannot be read or breaks the
   schema or the PII policy is set aside with its reason;
2. the others' rows (from landing, or from bronze after a crash) are typed,
   judged by the row rules, duplicates resolved, the PII policy applied, and
   rows silver already holds unchanged from another file marked re-deliveries;
3. a file with most of its new rows rejected is set aside; the rest must pass
   the table's GX suite or nothing of the batch is committed;
4. bronze (the rows as received), quarantine, silver (append, or MERGE on the
   natural key) and the ledger are written, each with a transaction id derived
   from the batch, so a rerun commits each at most once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.functions import (
    col,
    current_timestamp,
    expr,
    format_string,
    length,
    lit,
    struct,
    substring,
    to_json,
    when,
)
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from governance.delta_read import commits, open_delta, read_delta
from governance.delta_write import append_rows_once
from governance.policy import ColumnRule, Policy, PolicyViolationError
from spark_jobs.bronze import CORRUPT_RECORD, METADATA_COLUMNS, bronze_batch
from spark_jobs.conform import (
    DUPLICATE_DELIVERY,
    ROW_IDENTITY,
    RULE,
    judge_rows,
    judge_text_length,
    mark_duplicates,
    mark_redelivered,
    redelivered,
    row_identity,
    type_rows,
    with_week,
)
from spark_jobs.delta_io import append_keeping_stats_on, append_once, table_exists, upsert_by_key
from spark_jobs.erasure import household_condition
from spark_jobs.landing_files import LandingFile
from spark_jobs.pii import apply_policy
from spark_jobs.quality import GateResult, TableRuleError, run_gate
from spark_jobs.tables import TableSpec

BATCH_STORAGE = StorageLevel.DISK_ONLY
"""Where a batch's frames, each read several times, are kept between Spark jobs: on local disk.

Kept in memory (``MEMORY_AND_DISK``), the incoming, judged and governed frames
of the full promotions feed (20.9 million rows) ran a 4 GB driver out of heap
while the GX gate read them; on disk the same ingestion passes, in 292 s
against 285 s in memory with 8 GB.
"""

MAX_REJECTED_SHARE = 0.5
"""Table rule: a landing file with more than half its rows rejected is a broken feed, not a few bad rows."""

LEDGER_SCHEMA = pa.schema(
    [
        pa.field("table", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_checksum", pa.string()),
        pa.field("batch_id", pa.string()),
        pa.field("rows_in", pa.int64()),
        pa.field("rows_accepted", pa.int64()),
        pa.field("rows_quarantined", pa.int64()),
        pa.field("policy_version", pa.int64()),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)
"""The ledger's rows, an Arrow schema: the ledger is appended with delta-rs (:func:`append_to_ledger`), a few rows
per batch that a Spark job took over a second to commit."""


@dataclass(frozen=True)
class LakeLayout:
    """Where each zone's tables live under the lake root (a folder or ``s3a://`` URI), and how to reach them."""

    root: str
    quality_dir: Path
    storage_options: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    """delta-rs options for an S3 lake (endpoint, keys); none for a folder."""

    def open_table(self, uri: str, version: int | None = None) -> DeltaTable | None:
        """A table's log read without Spark (version, id, history, small reads); None when there is no table."""
        return open_delta(uri, self.storage_options, version)

    def bronze(self, table: str) -> str:
        return f"{self.root}/bronze/{table}"

    def silver(self, table: str) -> str:
        return f"{self.root}/silver/{table}"

    def quarantine(self, table: str) -> str:
        return f"{self.root}/quarantine/{table}"

    def gold(self, table: str) -> str:
        return f"{self.root}/gold/{table}"

    @property
    def ledger(self) -> str:
        return f"{self.root}/_ledger/ingested_files"


@dataclass(frozen=True)
class PolicyContext:
    policy: Policy
    key: bytes
    presidio_model: str
    max_text_chars: int = 65_536


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


def ledger_entries(layout: LakeLayout, table: str) -> dict[str, set[str]]:
    """Source file -> the checksums of it already ingested for ``table``."""
    ledger = layout.open_table(layout.ledger)
    if ledger is None:
        return {}
    entries: dict[str, set[str]] = {}
    for row in read_delta(ledger, ["table", "source_file", "source_checksum"]).to_pylist():
        if row["table"] == table:
            entries.setdefault(row["source_file"], set()).add(row["source_checksum"])
    return entries


def new_files(done: Mapping[str, set[str]], files: Sequence[LandingFile]) -> list[LandingFile]:
    """The files not among the table's ledger entries ``done``: never ingested, or corrected since (a new checksum)."""
    return [file for file in files if file.checksum not in done.get(file.relative_path, set())]


def nothing_to_ingest(
    layout: LakeLayout, spec: TableSpec, done: Mapping[str, set[str]], files: Sequence[LandingFile]
) -> bool:
    """Every file is among the ledger entries ``done`` and silver exists: an ingestion needs no Spark to say so."""
    return not new_files(done, files) and layout.open_table(layout.silver(spec.name)) is not None


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


def policy_break(policy: Policy, spec: TableSpec, file: LandingFile) -> str | None:
    """Why a file's declared columns break the PII policy (a column it does not classify), or None."""
    if file.columns is None:
        return None
    try:
        policy.rules_for(spec.name, file.columns)
    except PolicyViolationError as error:
        return f"policy: {error}"
    return None


def _known_keys(spark: SparkSession, layout: LakeLayout, spec: TableSpec) -> dict[str, DataFrame]:
    known: dict[str, DataFrame] = {}
    for reference in spec.checked_references:
        path = layout.silver(reference.table)
        if table_exists(spark, path):
            known[reference.table] = spark.read.format("delta").load(path).select(reference.key)
        else:
            known[reference.table] = spark.createDataFrame([], StructType([StructField(reference.key, LongType())]))
    return known


def _bronze_rows(spark: SparkSession, layout: LakeLayout, files: Sequence[LandingFile], policy: Policy) -> DataFrame:
    """The rows of ``files`` already in bronze (a run that stopped before silver), in the columns the policy knows."""
    wanted = spark.createDataFrame([file.identity for file in files], "_source_file string, _source_checksum string")
    table = files[0].table
    bronze = spark.read.format("delta").load(layout.bronze(table))
    known = [
        name for name in bronze.columns if name in (*METADATA_COLUMNS, CORRUPT_RECORD, *policy.table(table).columns)
    ]
    return bronze.select(*known).join(
        wanted.hint("broadcast"), on=["_source_file", "_source_checksum"], how="left_semi"
    )


def rejected_share_breaks(table: str, per_file: Mapping[str, Mapping[str | None, int]]) -> dict[str, str]:
    """Each file whose new rows are mostly rejected, with the reason; re-delivered rows count neither way."""
    broken = {}
    for source_file, counts in sorted(per_file.items()):
        judged = {rule: count for rule, count in counts.items() if rule != DUPLICATE_DELIVERY}
        total = sum(judged.values())
        rejected = {rule: count for rule, count in judged.items() if rule is not None}
        if total and sum(rejected.values()) / total > MAX_REJECTED_SHARE:
            worst = max(rejected, key=lambda rule: rejected[rule])
            broken[source_file] = (
                f"table rule 'at most {MAX_REJECTED_SHARE:.0%} of a file's new rows rejected': "
                f"{sum(rejected.values()):,} of {total:,} rows rejected, mostly '{worst}' ({rejected[worst]:,} rows); "
                f"table {table!r} took the other files of the batch"
            )
    return broken


QUARANTINED_RECORD_RULE = ColumnRule.model_validate({"class": "sensitive", "treatment": "mask"})
"""A record Spark could not parse is kept as its text, masked like free text."""


def _quarantine_rows(rejected: DataFrame, spec: TableSpec, privacy: PolicyContext) -> DataFrame:
    """Rejected rows as quarantine keeps them: the record as JSON after the PII policy, its rule and its file.

    Dropped columns are gone, tokenised ones are tokens, free text is masked;
    a text over the length limit is not masked (that is what would take hours)
    but replaced by a note of its length.
    """
    limit = privacy.max_text_chars
    for column in privacy.policy.masked_columns(spec.name):
        if column in rejected.columns:
            too_long = length(col(column)) > limit
            note = format_string(f"<text of %,d characters not kept: over {limit:,}>", length(col(column)))
            rejected = rejected.withColumn(column, when(too_long, note).otherwise(col(column)))
    if CORRUPT_RECORD in rejected.columns:
        rejected = rejected.withColumn(CORRUPT_RECORD, substring(col(CORRUPT_RECORD), 1, limit))
    extra: dict[str, ColumnRule | None] = {RULE: None}
    if CORRUPT_RECORD in rejected.columns:
        extra[CORRUPT_RECORD] = QUARANTINED_RECORD_RULE
    governed = apply_policy(rejected, spec.name, privacy.policy, privacy.key, privacy.presidio_model, extra)
    payload = [name for name in governed.columns if name not in (*METADATA_COLUMNS, RULE)]
    record = to_json(struct(*[col(f"`{name}`") for name in payload])).alias("_record")
    return governed.select(record, col(RULE), *METADATA_COLUMNS, current_timestamp().alias("_quarantined_at"))


def _last_commit_rows(layout: LakeLayout, path: str) -> tuple[int, int]:
    """The table's current version and how many rows its last commit wrote (inserted, updated or copied)."""
    table = layout.open_table(path)
    if table is None:
        return 0, 0
    [last] = commits(table, 1)
    metrics = last.get("operationMetrics") or {}
    written = int(metrics.get("numOutputRows", 0)) or int(metrics.get("numTargetRowsInserted", 0)) + int(
        metrics.get("numTargetRowsUpdated", 0)
    )
    return int(last["version"]), written


def _count_verdicts(judged: DataFrame) -> dict[str, dict[str | None, int]]:
    per_file: dict[str, dict[str | None, int]] = {}
    for row in judged.groupBy("_source_file", RULE).count().collect():
        per_file.setdefault(row["_source_file"], {})[row[RULE]] = int(row["count"])
    return per_file


def _tally(report: TableReport, per_file: Mapping[str, Mapping[str | None, int]]) -> None:
    for counts in per_file.values():
        for rule, count in counts.items():
            report.rows_in += count
            if rule is None:
                report.rows_accepted += count
            else:
                report.rows_quarantined += count
                report.by_rule[rule] = report.by_rule.get(rule, 0) + count


def _files_in_bronze(layout: LakeLayout, table: str) -> set[tuple[str, str]]:
    """(source file, checksum) pairs bronze holds, read without Spark: a Spark job for it took about a second."""
    bronze = layout.open_table(layout.bronze(table))
    if bronze is None:
        return set()
    rows = read_delta(bronze, ["_source_file", "_source_checksum"], distinct=True).to_pylist()
    return {(row["_source_file"], row["_source_checksum"]) for row in rows}


def _incoming_rows(
    spark: SparkSession,
    layout: LakeLayout,
    spec: TableSpec,
    files: Sequence[LandingFile],
    privacy: PolicyContext,
    stamp: tuple[str, datetime],
    erased: frozenset[int],
    report: TableReport,
) -> tuple[set[str], DataFrame]:
    """The batch's rows, and which of its files were read from landing (bronze's next append).

    Files already in bronze (a run that stopped before silver) are read from
    bronze. Rows of erased households are left out.
    """
    in_bronze = _files_in_bronze(layout, spec.name)
    from_landing = [file for file in files if file.identity not in in_bronze]
    parts = []
    landed = bronze_batch(spark, from_landing, spec, *stamp)
    if landed is not None and erased and "household_id" in landed.columns:
        of_erased = expr(household_condition(sorted(erased)))
        report.rows_of_erased_households = landed.where(of_erased).count()
        landed = landed.where(~of_erased | col("household_id").isNull())
    if landed is not None:
        parts.append(landed)
    if recovered := [file for file in files if file.identity in in_bronze]:
        parts.append(_bronze_rows(spark, layout, recovered, privacy.policy))
    incoming = reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), parts)
    return {file.relative_path for file in from_landing}, incoming


def ingest_table(
    spark: SparkSession,
    layout: LakeLayout,
    spec: TableSpec,
    files: Sequence[LandingFile],
    done: Mapping[str, set[str]],
    privacy: PolicyContext,
    ingested_at: datetime,
    erased: frozenset[int] = frozenset(),
) -> TableReport:
    """Bring ``spec``'s new landing files (those not among the ledger entries ``done``) into bronze and silver.

    A no-op when there are none.

    Every file is judged before anything of it is committed: one that cannot be
    read, breaks the schema or the PII policy, or has most of its new rows
    rejected is set aside with its reason (``report.unreadable``) and the other
    files go on. Rows of ``erased`` households (the erasure register) never
    reach bronze, so a source that sends an erased shopper again cannot bring
    them back.
    """
    started = time.perf_counter()
    report = TableReport(spec.name, files_seen=len(files))
    new = new_files(done, files)
    report.files_new = len(new)
    refused = {
        file.relative_path: file.unreadable or schema_break(spec, file) or policy_break(privacy.policy, spec, file)
        for file in new
    }
    report.unreadable = {path: reason for path, reason in refused.items() if reason}
    readable = [file for file in new if not refused[file.relative_path]]
    if not readable:
        _create_empty_silver(spark, layout, spec, privacy)
        report.seconds = time.perf_counter() - started
        return report
    batch_id = batch_id_of(new)

    landed, incoming = _incoming_rows(spark, layout, spec, readable, privacy, (batch_id, ingested_at), erased, report)
    incoming = incoming.persist(BATCH_STORAGE)
    judged, governed = _judged_and_governed(spark, layout, spec, incoming, privacy)
    judged = judged.persist(BATCH_STORAGE)
    governed = governed.persist(BATCH_STORAGE)
    repeats = None
    try:
        silver_exists = table_exists(spark, layout.silver(spec.name))
        weeks = _weeks(governed) if silver_exists and spec.partitioned else []
        repeats = _redeliveries(spark, layout, spec, governed, weeks) if silver_exists else None
        verdicts = (judged if repeats is None else mark_redelivered(judged, repeats)).drop(ROW_IDENTITY)
        silver_rows = governed if repeats is None else governed.join(repeats, on=ROW_IDENTITY, how="left_anti")
        silver_rows = silver_rows.drop(ROW_IDENTITY)
        per_file = _count_verdicts(verdicts)
        broken = rejected_share_breaks(spec.name, per_file)
        report.unreadable.update(broken)
        kept = [file for file in readable if file.relative_path not in broken]
        per_file = {path: counts for path, counts in per_file.items() if path not in broken}
        _tally(report, per_file)
        if not kept:
            return report
        kept_names = [file.relative_path for file in kept]
        silver_rows = silver_rows.where(col("_source_file").isin(kept_names))
        gate = report.gate = run_gate(layout.quality_dir, spec, silver_rows, run_name=f"{spec.name}-{batch_id}")
        if not gate.success:
            raise TableRuleError(
                f"table {spec.name!r}: batch not committed: GX suite {spec.name}_silver failed "
                f"{'; '.join(gate.failed_rules)} on {report.rows_accepted:,} rows from "
                f"{', '.join(kept_names[:5])}{' and more' if len(kept) > 5 else ''}",
                gate=gate,
            )
        if to_bronze := [name for name in kept_names if name in landed]:
            _append_bronze(spark, layout, spec, incoming.where(col("_source_file").isin(to_bronze)), privacy, batch_id)
            report.bronze_rows_written = _last_commit_rows(layout, layout.bronze(spec.name))[1]
        if report.rows_quarantined:
            rejected = verdicts.where(col("_source_file").isin(kept_names) & col(RULE).isNotNull())
            quarantined = _quarantine_rows(rejected, spec, privacy)
            path, app_id = layout.quarantine(spec.name), f"quarantine:{spec.name}:{batch_id}"
            append_keeping_stats_on(spark, quarantined, path, app_id, QUARANTINE_STATS_COLUMNS)
        silver, app_id = layout.silver(spec.name), f"silver:{spec.name}:{batch_id}"
        if silver_exists:
            corrected = [name for name in kept_names if name in done]
            compared = _compared(silver_rows)
            upsert_by_key(spark, silver_rows, silver, spec.keys, compared, app_id, weeks, replaced_files=corrected)
        else:
            append_once(silver_rows, silver, app_id, partition_by=spec.partition_by)
        report.silver_version, report.rows_written = _last_commit_rows(layout, silver)
        _append_ledger(layout, spec, kept, per_file, batch_id, privacy.policy.version, ingested_at)
    finally:
        if repeats is not None:
            repeats.unpersist()
        governed.unpersist()
        judged.unpersist()
        incoming.unpersist()
        report.seconds = time.perf_counter() - started
    return report


def _judged_and_governed(
    spark: SparkSession, layout: LakeLayout, spec: TableSpec, incoming: DataFrame, privacy: PolicyContext
) -> tuple[DataFrame, DataFrame]:
    """Every incoming row with its verdict (``_rule``), and the accepted rows after the PII policy."""
    typed = with_week(type_rows(incoming, spec), spec)
    typed = judge_text_length(typed, privacy.policy.masked_columns(spec.name), privacy.max_text_chars)
    judged = mark_duplicates(judge_rows(typed, spec, _known_keys(spark, layout, spec)), spec)
    judged = judged.withColumn(ROW_IDENTITY, row_identity(spec.keys))
    accepted = judged.where(col(RULE).isNull()).drop(RULE, CORRUPT_RECORD)
    governed = apply_policy(
        accepted, spec.name, privacy.policy, privacy.key, privacy.presidio_model, {ROW_IDENTITY: None}
    ).withColumn("_policy_version", lit(privacy.policy.version))
    return judged, governed


def _create_empty_silver(spark: SparkSession, layout: LakeLayout, spec: TableSpec, privacy: PolicyContext) -> None:
    """A table no file has arrived for yet still gets its silver table, empty, with the schema a batch would give.

    The warehouse and dbt read every silver table; a retailer that sends no
    feedback (or a sample without any) must leave an empty table, not a hole.
    """
    path = layout.silver(spec.name)
    if table_exists(spark, path):
        return
    strings = [StructField(name, StringType()) for name in (*spec.column_names, *METADATA_COLUMNS)]
    nothing = spark.createDataFrame([], StructType(strings)).withColumn("_ingested_at", lit(None).cast(TimestampType()))
    _, governed = _judged_and_governed(spark, layout, spec, nothing, privacy)
    # The schema the policy gives, without running it: on no rows it would only start Presidio in a Python worker.
    empty = spark.createDataFrame([], governed.drop(ROW_IDENTITY).schema)
    append_once(empty, path, f"silver:{spec.name}:created-empty", partition_by=spec.partition_by)


QUARANTINE_STATS_COLUMNS = ("_rule", *METADATA_COLUMNS, "_quarantined_at")
"""Quarantine keeps min/max statistics on these only, never on ``_record``."""


def _append_bronze(
    spark: SparkSession, layout: LakeLayout, spec: TableSpec, rows: DataFrame, privacy: PolicyContext, batch_id: str
) -> None:
    """Append to bronze, which keeps min/max statistics only on columns that hold nothing personal.

    Delta writes a file's min and max of each column into its log; on a
    personal column that is a raw value an erasure's DELETE and VACUUM would
    leave behind in the log.
    """
    personal = set(privacy.policy.personal_columns(spec.name))
    stats = [name for name in rows.columns if name not in personal and name != CORRUPT_RECORD]
    append_keeping_stats_on(spark, rows, layout.bronze(spec.name), f"bronze:{spec.name}:{batch_id}", stats)


def _weeks(rows: DataFrame) -> list[int]:
    return [row["week"] for row in rows.select("week").distinct().collect()]


def _compared(rows: DataFrame) -> list[str]:
    """The columns whose values make a silver row what it is: all but ingest metadata and the policy version."""
    return [name for name in rows.columns if name not in (*METADATA_COLUMNS, "_policy_version", ROW_IDENTITY)]


def _redeliveries(
    spark: SparkSession, layout: LakeLayout, spec: TableSpec, governed: DataFrame, weeks: Sequence[int]
) -> DataFrame | None:
    """The identities of the batch's accepted rows that silver already holds unchanged from another file, cached.

    Such a row is a re-delivery like a copy within the batch: quarantined as
    :data:`DUPLICATE_DELIVERY`, counted against no file. Only the batch's
    ``weeks`` of silver are read (all of an unpartitioned table). None when
    silver's columns differ (an older policy version).
    """
    existing = spark.read.format("delta").load(layout.silver(spec.name))
    compared = _compared(governed)
    if any(name not in existing.columns for name in compared):
        return None
    if spec.partitioned:
        existing = existing.where(col("week").isin(list(weeks)))
    return redelivered(governed, existing, spec.keys, compared).persist(BATCH_STORAGE)


def append_to_ledger(layout: LakeLayout, entries: Sequence[tuple[object, ...]], app_id: str) -> None:
    """Append ``entries`` (rows of :data:`LEDGER_SCHEMA`) to the ledger unless ``app_id`` is already committed."""
    rows = [dict(zip(LEDGER_SCHEMA.names, entry, strict=True)) for entry in entries]
    append_rows_once(layout.ledger, layout.storage_options, pa.Table.from_pylist(rows, LEDGER_SCHEMA), app_id)


def _append_ledger(
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
    append_to_ledger(layout, entries, f"ledger:{spec.name}:{batch_id}")
