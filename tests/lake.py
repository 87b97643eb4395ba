"""Small readers the lake tests share."""

from __future__ import annotations

from delta.tables import DeltaTable
from pyspark.sql import SparkSession


def latest_version(spark: SparkSession, path: str) -> int:
    last = DeltaTable.forPath(spark, path).history(1).first()
    assert last is not None, f"{path} has no history"
    return int(last["version"])


def earliest_version(spark: SparkSession, path: str) -> int:
    first = DeltaTable.forPath(spark, path).history().select("version").orderBy("version").first()
    assert first is not None, f"{path} has no history"
    return int(first["version"])
