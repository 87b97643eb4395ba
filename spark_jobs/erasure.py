"""Erase households from Delta tables, including the history Delta keeps for time travel.

A DELETE alone leaves the rows in the files of earlier versions, readable with
``versionAsOf``. So each DELETE is followed by a VACUUM of the files no current
version needs. Delta refuses a retention under its 7-day safety window unless
its check is off; erasure turns it off only in a child session that runs
nothing but this VACUUM, never in the session every job shares. The VACUUM is
LITE: it removes only files the log says were removed, so the files of a write
still in flight (not yet in the log) are never touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import unquote

from delta.exceptions import (
    ConcurrentAppendException,
    ConcurrentDeleteDeleteException,
    ConcurrentDeleteReadException,
    ConcurrentTransactionException,
    ConcurrentWriteException,
    DeltaConcurrentModificationException,
    MetadataChangedException,
)
from delta.tables import DeltaTable
from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from spark_jobs.delta_io import table_exists

RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"
FORMAT_CHECK = "spark.databricks.delta.formatCheck.enabled"
"""Delta refuses to read a table's directory as plain Parquet unless this is off (in a child session)."""
CONFLICT_RETRIES = 5
COMMIT_CONFLICTS = (
    ConcurrentAppendException,
    ConcurrentDeleteDeleteException,
    ConcurrentDeleteReadException,
    ConcurrentTransactionException,
    ConcurrentWriteException,
    DeltaConcurrentModificationException,
    MetadataChangedException,
)
"""Delta's optimistic concurrency: another commit won; re-reading the table and trying again is safe."""


class ErasureConflictError(RuntimeError):
    """A DELETE kept losing to concurrent writers; nothing was half done (Delta commits whole or not at all)."""


@dataclass(frozen=True)
class TableErasure:
    path: str
    rows_removed: int
    delete_version: int | None
    """The version that committed the DELETE; None when the table held none of the rows."""


def household_key(in_json_record: bool = False) -> str:
    """The SQL expression for a row's household: its column, or the field of a quarantined JSON record."""
    return (
        "try_cast(get_json_object(_record, '$.household_id') as bigint)"
        if in_json_record
        else ("try_cast(household_id as bigint)")
    )


def household_condition(households: list[int], in_json_record: bool = False) -> str:
    """SQL matching the households' rows."""
    listed = ", ".join(str(int(household)) for household in sorted(households))
    return f"{household_key(in_json_record)} in ({listed})"


def rows_matching(spark: SparkSession, path: str, condition: str) -> int:
    return int(spark.read.format("delta").load(path).where(condition).count())


def delete_rows(spark: SparkSession, path: str, condition: str, matching: int | None = None) -> TableErasure:
    """DELETE the matching rows, retrying when a concurrent commit wins the race (optimistic concurrency).

    ``matching`` is the caller's count of the rows, when it has one; they are counted again after a lost race.
    """
    if not table_exists(spark, path):
        return TableErasure(path, 0, None)
    for attempt in range(1, CONFLICT_RETRIES + 1):
        if attempt > 1 or matching is None:
            matching = rows_matching(spark, path, condition)
        if matching == 0:
            return TableErasure(path, 0, None)
        table = DeltaTable.forPath(spark, path)
        try:
            table.delete(condition)
        except COMMIT_CONFLICTS:
            time.sleep(0.5 * attempt)
            continue
        last = table.history(1).select("version", "operation", "operationMetrics").first()
        assert last is not None
        removed = int((last["operationMetrics"] or {}).get("numDeletedRows", matching))
        return TableErasure(path, removed, int(last["version"]))
    raise ErasureConflictError(
        f"{path}: DELETE lost to concurrent writers {CONFLICT_RETRIES} times; erasure stopped, nothing of it committed"
    )


def purge_history(spark: SparkSession, path: str) -> None:
    """VACUUM away every file the current version does not need, so no earlier version can be read back."""
    if not table_exists(spark, path):
        return
    purge_session = spark.newSession()
    purge_session.conf.set(RETENTION_CHECK, "false")
    purge_session.sql(f"VACUUM delta.`{path}` LITE RETAIN 0 HOURS").collect()


def _file_name(location: str) -> str:
    """A data file's own name: Delta names each one with a UUID, so it identifies the file within its table
    whichever way a reader spells the location (``file:/``, ``file:///``, URL-encoded or not)."""
    return unquote(location.rsplit("/", 1)[-1])


def files_holding(spark: SparkSession, path: str, condition: str) -> tuple[set[str], set[str]]:
    """(every data file under the table, those holding matching rows), by file name, in one scan.

    The scan reads the files themselves, not a version of the table: it sees the rows a DELETE left in the
    files of earlier versions, and rows a deletion vector would hide in the current one.
    """
    table = spark.read.format("delta").load(path)
    columns = [field for field in table.schema.fields if field.name in ("household_id", "_record")]
    raw_session = spark.newSession()
    raw_session.conf.set(FORMAT_CHECK, "false")
    files = raw_session.read.schema(StructType(columns)).option("recursiveFileLookup", "true").parquet(path)
    present = {_file_name(file) for file in files.inputFiles()}
    holding = files.where(condition).select("_metadata.file_path").distinct().collect()
    return present, {_file_name(row["file_path"]) for row in holding}


def versions_holding(spark: SparkSession, path: str, condition: str) -> list[int]:
    """The versions of the table, readable by time travel, that still hold matching rows.

    A version is readable when every data file it lists is still there (a vacuumed one cannot be read back
    at all), and holds the rows when one of its files does. Most often no file holds any, and one scan answers.
    """
    if not table_exists(spark, path):
        return []
    present, holding = files_holding(spark, path, condition)
    if not holding:
        return []
    history = DeltaTable.forPath(spark, path).history().select("version").collect()
    holding_versions = []
    for row in history:
        version = int(row["version"])
        files = {
            _file_name(file)
            for file in spark.read.format("delta").option("versionAsOf", version).load(path).inputFiles()
        }
        if files <= present and files & holding:
            holding_versions.append(version)
    return holding_versions
