"""Delta upkeep: compaction and vacuum, with retention from settings.

Any version stays readable by time travel until a vacuum removes the files it
needs; the retention must be at least Delta's safety minimum (7 days) unless a
caller (erasure) handles the shorter retention explicitly.
"""

from __future__ import annotations

from delta.tables import DeltaTable
from pyspark.sql import SparkSession


def compact(spark: SparkSession, path: str) -> int:
    """OPTIMIZE: rewrite small files into larger ones. Returns the number of files removed."""
    metrics = DeltaTable.forPath(spark, path).optimize().executeCompaction().first()
    return int(metrics["metrics"]["numFilesRemoved"]) if metrics is not None else 0


def vacuum(spark: SparkSession, path: str, retention_hours: int) -> None:
    """Delete files no version younger than ``retention_hours`` needs."""
    DeltaTable.forPath(spark, path).vacuum(float(retention_hours))
