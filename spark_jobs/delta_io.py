"""Delta readers and writers shared by every job: idempotent appends, upserts by natural key, existence checks.

Every write carries a transaction id (``txnAppId``) derived from what it
writes, so a rerun after a crash never commits the same batch twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession


def table_exists(spark: SparkSession, path: str) -> bool:
    return bool(DeltaTable.isDeltaTable(spark, path))


def append_once(
    frame: DataFrame,
    path: str,
    app_id: str,
    partition_by: Sequence[str] = (),
    merge_schema: bool = True,
    properties: Mapping[str, str] | None = None,
) -> None:
    """Append ``frame`` unless a commit with ``app_id`` is already in the table's log.

    ``properties`` (``delta.*`` table properties) are set by the write that creates the table; later writes ignore them.
    """
    writer = (
        frame.write.format("delta")
        .mode("append")
        .option("txnAppId", app_id)
        .option("txnVersion", 0)
        .option("mergeSchema", str(merge_schema).lower())
        .options(**(properties or {}))
    )
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)


STATS_COLUMNS = "delta.dataSkippingStatsColumns"


def append_keeping_stats_on(
    spark: SparkSession, frame: DataFrame, path: str, app_id: str, columns: Sequence[str]
) -> None:
    """Append ``frame`` once to the table at ``path``, which keeps min/max statistics on ``columns`` only.

    A new table takes the property from the write that creates it, so its
    first data commit already obeys it; a table that predates it gets the
    property now, for its later commits.
    """
    listed = ",".join(f"`{name}`" for name in columns)
    if table_exists(spark, path):
        properties = DeltaTable.forPath(spark, path).detail().select("properties").first()
        if properties is None or properties["properties"].get(STATS_COLUMNS) is None:
            spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ('{STATS_COLUMNS}' = '{listed}')")
    append_once(frame, path, app_id, properties={STATS_COLUMNS: listed})


@contextmanager
def idempotent_dml(spark: SparkSession, app_id: str) -> Iterator[None]:
    """MERGE/UPDATE/DELETE inside this block commit at most once for ``app_id``."""
    spark.conf.set("spark.databricks.delta.write.txnAppId", app_id)
    spark.conf.set("spark.databricks.delta.write.txnVersion", "0")
    try:
        yield
    finally:
        spark.conf.unset("spark.databricks.delta.write.txnAppId")
        spark.conf.unset("spark.databricks.delta.write.txnVersion")


def upsert_by_key(
    spark: SparkSession,
    updates: DataFrame,
    path: str,
    keys: Sequence[str],
    compared: Sequence[str],
    app_id: str,
    weeks: Sequence[int] = (),
    replaced_files: Sequence[str] = (),
) -> None:
    """MERGE ``updates`` into the table at ``path`` on ``keys``.

    A matched row is rewritten only when one of ``compared`` differs, so a
    repeat changes nothing. ``weeks`` limits the target scan to those week
    partitions. Rows that came from ``replaced_files`` (an earlier version of a
    corrected landing file) and are absent from the new version are deleted.
    """
    condition = " and ".join(f"target.`{key}` <=> source.`{key}`" for key in keys)
    if weeks:
        condition += f" and target.week in ({', '.join(str(week) for week in sorted(weeks))})"
    changed = " or ".join(f"not (target.`{column}` <=> source.`{column}`)" for column in compared)
    merge = (
        DeltaTable.forPath(spark, path)
        .alias("target")
        .merge(updates.alias("source"), condition)
        .whenMatchedUpdateAll(condition=changed)
        .whenNotMatchedInsertAll()
    )
    if replaced_files:
        listed = ", ".join("'" + name.replace("'", "''") + "'" for name in replaced_files)
        scope = f" and target.week in ({', '.join(str(week) for week in sorted(weeks))})" if weeks else ""
        merge = merge.whenNotMatchedBySourceDelete(condition=f"target._source_file in ({listed}){scope}")
    with idempotent_dml(spark, app_id):
        merge.execute()
