"""Small readers the lake tests share."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from lakehouse.ingest import lake_layout
from lakehouse.settings import Settings
from spark_jobs.delta_io import table_exists
from spark_jobs.quality import verdicts_dir

CENT = Decimal("0.01")


def landed_amount(value: float) -> Decimal:
    """What the lake makes of an amount a feed sent as a binary float: its cent (2.9899999999999998 is 2.99)."""
    return Decimal(repr(value)).quantize(CENT)


def landed_total(values: Iterable[float]) -> Decimal:
    return sum((landed_amount(value) for value in values), Decimal("0.00"))


def delta_rows(spark: SparkSession, path: str) -> int:
    """Rows of the Delta table at ``path``; 0 where there is none (quarantine exists once a batch rejects a row)."""
    if not table_exists(spark, path):
        return 0
    return spark.read.format("delta").load(path).count()


def latest_version(spark: SparkSession, path: str) -> int:
    last = DeltaTable.forPath(spark, path).history(1).first()
    assert last is not None, f"{path} has no history"
    return int(last["version"])


def earliest_version(spark: SparkSession, path: str) -> int:
    first = DeltaTable.forPath(spark, path).history().select("version").orderBy("version").first()
    assert first is not None, f"{path} has no history"
    return int(first["version"])


def late_transactions_file(settings: Settings, week: int) -> bytes:
    """A few real rows of ``week``, as a late file from the retailer (Parquet bytes)."""
    landed = pq.read_table(f"{settings.landing_uri}/transactions/week_{week:02d}/transactions_week{week:02d}.parquet")
    buffer = io.BytesIO()
    pq.write_table(landed.slice(0, 5), buffer)
    return buffer.getvalue()


def copy_s3_prefix(settings: Settings, bucket: str, source: str, target: str) -> int:
    """Copy every object under ``source`` to ``target`` in ``bucket`` on the server (no bytes through the test)."""
    client = settings.object_store.boto3_client()
    copied = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=source):
        for item in page.get("Contents", []):
            key = target + item["Key"].removeprefix(source)
            client.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": item["Key"]})
            copied += 1
    return copied


def copy_local_sample(source: Settings, target: Settings) -> None:
    """A private copy of a local sample's landing, lake, GX verdicts and tokenisation key, for a test that changes them.

    Delta logs name their files relative to the table, so the copied tables are
    whole tables, with the same table ids: the verdicts kept on their snapshots
    hold for the copy, as they do for the data folder it was copied from.
    Variant lakes other tests put beside silver are left out.
    """
    shutil.copytree(source.landing_uri, target.landing_uri)
    shutil.copytree(source.lake_uri, target.lake_uri, symlinks=True, ignore=shutil.ignore_patterns("_variant_lakes"))
    verdicts = verdicts_dir(lake_layout(source).quality_dir)
    if verdicts.exists():
        shutil.copytree(verdicts, verdicts_dir(lake_layout(target).quality_dir))
    Path(target.tokenisation_key_file).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.tokenisation_key_file, target.tokenisation_key_file)
