"""``lakehouse ingest``: find the landing files, then bring every table into bronze and silver in order."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable
from pyspark.sql.functions import col
from pyspark.sql.pandas.types import from_arrow_schema

from governance.delta_read import commits
from governance.erasure import erased_households
from governance.policy import default_policy
from lakehouse.landing.land import read_manifest, week_folder, week_of_path
from lakehouse.landing.storage import LandingStore, files_under, landing_store
from lakehouse.privacy import tokenisation_key
from lakehouse.progress import stage
from lakehouse.reconciliation import SALES_FEED, landing_sales_recorded, record_landing_sales
from lakehouse.settings import Settings
from spark_jobs.ingest import (
    LakeLayout,
    PolicyContext,
    TableReport,
    ingest_table,
    ledger_entries,
    nothing_to_ingest,
)
from spark_jobs.landing_files import LandingFile
from spark_jobs.quality import GateResult, keep_verdict, kept_verdict, run_gate
from spark_jobs.session import SparkSource, SparkStoppedError, stopped_jvm
from spark_jobs.tables import TABLES, TableSpec

logger = logging.getLogger(__name__)

READ_CHUNK = 8 * 2**20
HEADER_BYTES = 2**16
"""A CSV header is read from the file's first 64 KB (a byte-order mark and CRLF line ends are allowed)."""


def lake_layout(settings: Settings) -> LakeLayout:
    return LakeLayout(
        root=settings.lake_uri.rstrip("/"),
        quality_dir=settings.data_dir / "quality",
        storage_options=settings.delta_rs_storage_options,
    )


HADOOP_GLOB = re.compile(r"([\\\[\]{}*?])")


def spark_uri(store: LandingStore, relative: str) -> str:
    """The file's URI as Spark reads it: ``s3a://`` for S3, and glob characters escaped.

    Spark reads every path as a Hadoop glob, so a file named ``[a]b.parquet``
    would name a file ``ab.parquet`` instead; escaped, it names itself. (Its
    multi-line CSV reader globs a second time, unescaped: such CSV files are
    set aside, see :func:`landing_files`.)
    """
    uri = store.uri_of(relative)
    uri = "s3a://" + uri.split("://", 1)[1] if uri.startswith("s3://") else uri
    return HADOOP_GLOB.sub(r"\\\1", uri)


class Declared(NamedTuple):
    """What a file declares before a row is read: its columns, why it cannot be read, its Parquet schema."""

    columns: tuple[str, ...] | None = None
    unreadable: str | None = None
    parquet_schema: str | None = None


def _parquet_schema(schema: pa.Schema) -> str | None:
    """The footer's schema as Spark reads it (JSON), or None for a type Spark's Arrow mapping does not cover."""
    try:
        return from_arrow_schema(schema).json()
    except (TypeError, NotImplementedError):
        return None


def _declared(spec: TableSpec, head: bytes) -> Declared:
    """The columns a file declares (Parquet footer, CSV header) or why it cannot be read."""
    if not head:
        return Declared(unreadable="empty file")
    if spec.landing_format == "parquet":
        try:
            schema = pq.read_schema(io.BytesIO(head))
        except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged footer
            return Declared(unreadable=f"unreadable Parquet: {error}")
        return Declared(tuple(schema.names), parquet_schema=_parquet_schema(schema))
    if spec.landing_format == "csv":
        header = io.StringIO(head[:HEADER_BYTES].decode("utf-8-sig", errors="replace"), newline="")
        return Declared(tuple(next(csv.reader(header), [])))
    return Declared()


def landing_files(store: LandingStore, spec: TableSpec, weeks: range | None = None) -> list[LandingFile]:
    """Every file of a feed (of ``weeks`` only, when given) with its SHA-256 and declared columns.

    Damaged files are marked, not skipped. Files outside ``weeks`` are not read at all.
    """
    found = []
    for relative in files_under(store, spec.name):
        if weeks is not None and week_of_path(relative) not in weeks:
            continue
        digest = hashlib.sha256()
        with store.filesystem.open_input_stream(store.path(relative)) as source:
            content = b"".join(iter(lambda: source.read(READ_CHUNK), b""))
        digest.update(content)
        columns, unreadable, parquet_schema = _declared(spec, content)
        if spec.landing_format == "csv" and HADOOP_GLOB.search(relative):
            unreadable = (
                "file name: holds a glob character ([ ] { } * ? \\), which Spark's RFC 4180 CSV reader cannot "
                "open even escaped; rename the file"
            )
        found.append(
            LandingFile(spec.name, relative, spark_uri(store, relative), digest.hexdigest(), len(content), columns,
                        unreadable, parquet_schema)
        )  # fmt: skip
    return found


class MissingLandingFileError(FileNotFoundError):
    """A run for one week of a weekly feed lacks a file of that week: nothing to ingest is not the same as done."""


def require_files_of_the_week(store: LandingStore, spec: TableSpec, week: int, found: list[LandingFile]) -> None:
    """Every file the landing manifest lists for ``week`` is there; without a manifest, at least one file is.

    A week the manifest lists no file for (no sales of that feed that week) needs none.
    """
    present = {file.relative_path for file in found}
    manifest = read_manifest(store)
    if manifest is None:
        if not present:
            folder = store.uri_of(spec.name, week_folder(week))
            raise MissingLandingFileError(f"no landing file for {spec.name} week {week}: {folder}/ holds none")
        return
    listed = sorted(path for path in manifest.files if path.startswith(f"{spec.name}/") and week_of_path(path) == week)
    missing = [path for path in listed if path not in present]
    if missing:
        raise MissingLandingFileError(
            f"landing file {store.uri_of(missing[0])} is missing: the landing manifest lists it for "
            f"{spec.name} week {week}; land it again (`lakehouse land`) or run another week"
        )


class UpstreamFailedError(RuntimeError):
    """A table not attempted because a table its rows are checked against failed in the same ingestion.

    Judged against a half-written reference, every row would look orphaned and
    good files would be set aside for the sender to "fix".
    """


@dataclass
class IngestSummary:
    tables: dict[str, TableReport]
    failed: dict[str, Exception] = field(default_factory=dict)
    """Tables whose ingestion stopped, with what stopped it; the other tables were still attempted."""

    @property
    def rows_written(self) -> int:
        return sum(report.rows_written for report in self.tables.values())

    @property
    def set_aside(self) -> dict[str, str]:
        """Every new landing file not ingested, with the reason."""
        return {path: reason for report in self.tables.values() for path, reason in report.unreadable.items()}


def ingest_one_table(
    spark: SparkSource,
    settings: Settings,
    name: str,
    weeks: range | None = None,
    ingested_at: datetime | None = None,
) -> TableReport:
    """Ingest one table's new landing files, only those of ``weeks`` when given, printing what it did."""
    spec = TABLES[name]
    store = landing_store(settings)
    files = landing_files(store, spec, weeks)
    if spec.weekly and weeks is not None and len(weeks) == 1:
        require_files_of_the_week(store, spec, weeks[0], files)
    privacy = PolicyContext(
        default_policy(), tokenisation_key(settings), settings.presidio_model, settings.max_text_chars
    )
    when = ingested_at or datetime.now(UTC)
    scope = f", weeks {weeks.start}-{weeks.stop - 1}" if weeks is not None else ""
    with stage(f"ingesting {name} (bronze, silver{scope})") as line:
        erased = frozenset(erased_households(settings.erasure_receipts_dir))
        layout = lake_layout(settings)
        done = ledger_entries(layout, name)
        if nothing_to_ingest(layout, spec, done, files):
            report = TableReport(name, files_seen=len(files))
        else:
            report = ingest_table(spark(), layout, spec, files, done, privacy, when, erased)
        line.add(rows=report.rows_in, files=report.files_new)
        _keep_the_verdict_of_a_first_batch(settings, report)
        if report.files_new == 0:
            line.notes.append(f"no new files ({report.files_seen} already ingested)")
        else:
            line.notes.append(
                f"accepted {report.rows_accepted:,}, quarantined {report.rows_quarantined:,}, "
                f"wrote {report.rows_written:,} silver rows (version {report.silver_version})"
            )
        if report.rows_of_erased_households:
            line.notes.append(f"left out {report.rows_of_erased_households:,} rows of erased households (receipts)")
        for rule, count in sorted(report.by_rule.items(), key=lambda item: -item[1]):
            line.notes.append(f"quarantine: {count:,} rows: {rule}")
        for source_file, reason in report.unreadable.items():
            line.notes.append(f"not ingested: {source_file}: {reason}")
    if name == SALES_FEED and (report.files_new or not landing_sales_recorded(layout)):
        record_landing_sales(settings, layout)
    return report


def ingest_all(spark: SparkSource, settings: Settings, tables: list[str] | None = None) -> IngestSummary:
    """Ingest the named tables (all by default) in dependency order, printing a line per table.

    ``spark`` is first called by a table with new files: an ingestion with nothing new starts no JVM.

    A table that fails does not stop the others: each is attempted, and the
    summary names what failed. A table whose checked reference failed is not
    attempted (its rows cannot be judged) and is listed as failed with why; so
    is every table after Spark's JVM stopped, with the reason it stopped.
    """
    ingested_at = datetime.now(UTC)
    summary = IngestSummary({})
    stopped: SparkStoppedError | None = None
    for name in TABLES:
        if tables is not None and name not in tables:
            continue
        if stopped is not None:
            summary.failed[name] = SparkStoppedError(f"not attempted: {stopped}")
            continue
        if upstream := sorted({ref.table for ref in TABLES[name].checked_references if ref.table in summary.failed}):
            summary.failed[name] = UpstreamFailedError(
                f"not attempted: its rows are checked against {', '.join(upstream)}, which failed in this ingestion; "
                "its files stay new in landing for the next run"
            )
            logger.warning("ingesting %s not attempted: %s failed", name, ", ".join(upstream))
            continue
        try:
            summary.tables[name] = ingest_one_table(spark, settings, name, ingested_at=ingested_at)
        except Exception as error:  # noqa: BLE001 - one table's failure is reported, the next table is attempted
            if (reason := stopped_jvm(settings)) is not None:
                stopped = SparkStoppedError(f"ingesting {name}: {reason}")
                logger.warning("%s", stopped)
                summary.failed[name] = stopped
                continue
            logger.warning("ingesting %s failed: %s", name, type(error).__name__)
            summary.failed[name] = error
    return summary


ROW_CHANGES = ("WRITE", "MERGE", "DELETE")
"""Delta operations that change a table's rows (not OPTIMIZE or VACUUM)."""
RECENT_COMMITS = 8
"""The newest commits read first when looking for the last row change: upkeep adds at most a few after it."""

WHOLE_TABLE = "all"
"""The scope of a verdict on every row of a snapshot."""


def _snapshot(table: DeltaTable) -> str:
    """The table's id and version: the same snapshot holds the same rows."""
    return f"{table.metadata().id}@{table.version()}"


def _keep_the_verdict_of_a_first_batch(settings: Settings, report: TableReport) -> None:
    """A batch that created silver is all of silver's first version: its verdict is the verdict on that snapshot.

    A rerun with nothing new then answers silver's check from it instead of validating the same rows again.
    """
    if report.gate is None or not report.gate.success or report.silver_version != 0:
        return
    layout = lake_layout(settings)
    table = layout.open_table(layout.silver(report.table), version=0)
    assert table is not None, f"silver {report.table} was just written"
    keep_verdict(layout.quality_dir, TABLES[report.table], f"{_snapshot(table)}:{WHOLE_TABLE}", report.gate)


def validate_silver(spark: SparkSource, settings: Settings, name: str, weeks: range | None = None) -> GateResult | None:
    """The table's GX suite on silver as it stands (the rows of ``weeks`` when given); None before silver exists.

    A verdict is kept with the snapshot it judged (the table's id and Delta
    version, and the weeks): while silver has not changed, the kept verdict
    is the answer and the suite does not run again. A pass on the whole
    snapshot answers for any of its weeks: the suite's expectations (keys
    present and unique, values in range) that hold on every row hold on each
    subset of them.
    """
    spec = TABLES[name]
    layout = lake_layout(settings)
    path = layout.silver(name)
    if (table := layout.open_table(path)) is None:
        return None
    version = table.version()
    snapshot = _snapshot(table)
    scoped = f"{snapshot}:weeks {weeks.start}-{weeks.stop - 1}" if weeks is not None else f"{snapshot}:{WHOLE_TABLE}"
    if (kept := kept_verdict(layout.quality_dir, spec, scoped)) is not None:
        return kept
    whole = kept_verdict(layout.quality_dir, spec, f"{snapshot}:{WHOLE_TABLE}")
    if whole is not None and whole.success:
        return whole
    rows = spark().read.format("delta").option("versionAsOf", version).load(path)
    if weeks is not None:
        rows = rows.where(col("week").between(weeks.start, weeks.stop - 1))
    run_name = f"{name}-silver-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    gate = run_gate(layout.quality_dir, spec, rows, run_name=run_name)
    keep_verdict(layout.quality_dir, spec, scoped, gate)
    return gate


def silver_verdict(
    spark: SparkSource, settings: Settings, report: TableReport, weeks: range | None = None
) -> tuple[GateResult, str] | None:
    """The GX suite's verdict on silver after an ingestion and what it covered; None while silver does not exist.

    The batch's gate when there was a batch, else the suite run on silver as it stands (the rows of ``weeks``).
    """
    if report.gate is not None:
        return report.gate, f"the batch of {report.rows_accepted:,} accepted rows"
    gate = validate_silver(spark, settings, report.table, weeks)
    if gate is None:
        return None
    return gate, f"silver, weeks {weeks.start}-{weeks.stop - 1}" if weeks else "silver as it stands"


def silver_updated_at(settings: Settings, name: str) -> datetime | None:
    """When silver's rows last changed (its newest write, merge or delete), not when upkeep last compacted it."""
    layout = lake_layout(settings)
    table = layout.open_table(layout.silver(name))
    if table is None:
        return None
    recent = commits(table, limit=RECENT_COMMITS)
    history = commits(table) if len(recent) == RECENT_COMMITS and not _row_changes(recent) else recent
    changes = _row_changes(history)
    return datetime.fromtimestamp(max(changes) / 1000, UTC) if changes else None


def _row_changes(history: list[dict[str, Any]]) -> list[int]:
    """The commit times (epoch ms) of the commits that changed rows."""
    return [commit["timestamp"] for commit in history if commit.get("operation") in ROW_CHANGES]
