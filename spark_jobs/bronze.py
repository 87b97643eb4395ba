"""Bronze: every landing file appended as received, as strings, with ingest metadata.

Strings keep bronze faithful to what arrived whatever its types; silver does
the typing and sends what does not fit to quarantine. A file is appended once
per checksum: files already in bronze are skipped, and the append itself is an
idempotent Delta write, so two runs racing on the same files add them once.
"""

from __future__ import annotations

from datetime import datetime
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql.functions import col, lit
from pyspark.sql.types import StringType, StructField, StructType

from spark_jobs.landing_files import LandingFile
from spark_jobs.tables import TableSpec

METADATA_COLUMNS = ("_source_file", "_source_checksum", "_ingested_at", "_batch_id")
CORRUPT_RECORD = "_corrupt_record"


def read_landing_file(spark: SparkSession, file: LandingFile, spec: TableSpec) -> DataFrame:
    """One file's rows with every column as a string, in the file's own column order.

    CSV is read as RFC 4180 defines it: quoted fields may hold delimiters,
    doubled quotes and line breaks, so one record is one row whatever it holds.
    """
    if spec.landing_format == "parquet":
        frame = spark.read.parquet(file.uri)
    elif spec.landing_format == "csv":
        frame = (
            spark.read.option("header", True)
            .option("inferSchema", False)
            .option("encoding", "UTF-8")
            .option("multiLine", True)
            .option("escape", '"')
            .option("mode", "PERMISSIVE")
            .csv(file.uri)
        )
    else:
        strings = StructType([StructField(name, StringType()) for name in (*spec.column_names, CORRUPT_RECORD)])
        frame = spark.read.schema(strings).option("columnNameOfCorruptRecord", CORRUPT_RECORD).json(file.uri)
    return frame.select([col(f"`{name}`").cast("string").alias(name) for name in frame.columns])


def with_ingest_metadata(frame: DataFrame, file: LandingFile, batch_id: str, ingested_at: datetime) -> DataFrame:
    metadata: list[Column] = [
        lit(file.relative_path).alias("_source_file"),
        lit(file.checksum).alias("_source_checksum"),
        lit(ingested_at).alias("_ingested_at"),
        lit(batch_id).alias("_batch_id"),
    ]
    return frame.select("*", *metadata)


def bronze_batch(
    spark: SparkSession, files: list[LandingFile], spec: TableSpec, batch_id: str, ingested_at: datetime
) -> DataFrame | None:
    """The readable files' rows as one frame, columns united by name (a file's missing column is null)."""
    frames = [
        with_ingest_metadata(read_landing_file(spark, file, spec), file, batch_id, ingested_at)
        for file in files
        if file.unreadable is None
    ]
    if not frames:
        return None
    return reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), frames)
