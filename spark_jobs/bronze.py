"""Bronze: every landing file appended as received, as strings, with ingest metadata.

Strings keep bronze faithful to what arrived whatever its types; silver does
the typing and sends what does not fit to quarantine. A file is appended once
per checksum: files already in bronze are skipped, and the append itself is an
idempotent Delta write, so two runs racing on the same files add them once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from functools import reduce
from itertools import chain

from pyspark.sql import Column, DataFrame, DataFrameReader, SparkSession
from pyspark.sql.functions import col, concat, create_map, lit, raise_error, struct, when
from pyspark.sql.types import StringType, StructField, StructType

from spark_jobs.landing_files import LandingFile
from spark_jobs.tables import TableSpec

METADATA_COLUMNS = ("_source_file", "_source_checksum", "_ingested_at", "_batch_id")
CORRUPT_RECORD = "_corrupt_record"
GLOB_ESCAPE = re.compile(r"\\([\\\[\]{}*?])")
"""A glob character escaped for Spark's path reader (``lakehouse.ingest.spark_uri``), to be unescaped."""


def _csv_reader(spark: SparkSession) -> DataFrameReader:
    """CSV as RFC 4180 defines it: quoted fields may hold delimiters, doubled quotes and line breaks."""
    return (
        spark.read.option("header", True)
        .option("inferSchema", False)
        .option("encoding", "UTF-8")
        .option("multiLine", True)
        .option("escape", '"')
        .option("mode", "PERMISSIVE")
    )


def _json_reader(spark: SparkSession, spec: TableSpec) -> DataFrameReader:
    """JSON lines with the table's columns as strings; a line that does not parse is kept as its text."""
    strings = StructType([StructField(name, StringType()) for name in (*spec.column_names, CORRUPT_RECORD)])
    return spark.read.schema(strings).option("columnNameOfCorruptRecord", CORRUPT_RECORD)


def read_landing_file(spark: SparkSession, file: LandingFile, spec: TableSpec) -> DataFrame:
    """One file's rows with every column as a string, in the file's own column order.

    CSV is read as RFC 4180 defines it: quoted fields may hold delimiters,
    doubled quotes and line breaks, so one record is one row whatever it holds.
    """
    if spec.landing_format == "parquet":
        frame = spark.read.parquet(file.uri)
    elif spec.landing_format == "csv":
        frame = _csv_reader(spark).csv(file.uri)
    else:
        frame = _json_reader(spark, spec).json(file.uri)
    return frame.select([col(f"`{name}`").cast("string").alias(name) for name in frame.columns])


def with_ingest_metadata(frame: DataFrame, file: LandingFile, batch_id: str, ingested_at: datetime) -> DataFrame:
    metadata: list[Column] = [
        lit(file.relative_path).alias("_source_file"),
        lit(file.checksum).alias("_source_checksum"),
        lit(ingested_at).alias("_ingested_at"),
        lit(batch_id).alias("_batch_id"),
    ]
    return frame.select("*", *metadata)


def _shared_layout(file: LandingFile, spec: TableSpec) -> tuple[str, ...] | None:
    """What files must have in common to be read in one pass with a declared schema; None: read this one alone.

    Parquet files share their footer's schema; CSV files their header (when its
    names are unique and non-empty, as Spark would name them); JSON lines are
    always read with the table's columns as strings.
    """
    if spec.landing_format == "parquet":
        return ("parquet", file.parquet_schema) if file.parquet_schema else None
    if spec.landing_format == "csv":
        names = file.columns or ()
        return ("csv", *names) if names and all(names) and len(set(names)) == len(names) else None
    return ("json",)


def _reported_path(spark: SparkSession, uri: str) -> str:
    """The path Spark reports in ``_metadata.file_path`` for the file at ``uri`` (glob-escaped as Spark reads it).

    That is the qualified path's URI rebuilt from its parts, so a local file
    reads ``file:/...`` (no empty authority) with its name percent-encoded.
    """
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    path = jvm.org.apache.hadoop.fs.Path(GLOB_ESCAPE.sub(r"\1", uri))
    qualified = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).makeQualified(path).toUri()
    rebuilt = jvm.java.net.URI(qualified.getScheme(), qualified.getAuthority() or None, qualified.getPath(), None, None)
    return str(rebuilt.toString())


def _read_together(spark: SparkSession, files: Sequence[LandingFile], spec: TableSpec) -> DataFrame:
    """Files of one layout read in one pass, every value a string, each row with its file's path and checksum.

    A row whose reported file is not one of ``files`` fails the read by name
    rather than reaching bronze without its source.
    """
    uris = [file.uri for file in files]
    first = files[0]
    if spec.landing_format == "parquet":
        assert first.parquet_schema is not None
        frame = spark.read.schema(StructType.fromJson(json.loads(first.parquet_schema))).parquet(*uris)
    elif spec.landing_format == "csv":
        header = StructType([StructField(name, StringType()) for name in first.columns or ()])
        frame = _csv_reader(spark).schema(header).csv(uris)
    else:
        frame = _json_reader(spark, spec).json(uris)
    reported = col("_metadata.file_path")
    sources = create_map(*chain.from_iterable(
        (lit(_reported_path(spark, file.uri)), struct(lit(file.relative_path), lit(file.checksum))) for file in files
    ))  # fmt: skip
    unmatched = raise_error(concat(lit("bronze: a row read from "), reported, lit(" matches no file of the batch")))
    source = when(sources[reported].isNull(), unmatched).otherwise(sources[reported])
    return frame.select(
        *[col(f"`{name}`").cast("string").alias(name) for name in frame.columns],
        source["col1"].alias("_source_file"),
        source["col2"].alias("_source_checksum"),
    )


def bronze_batch(
    spark: SparkSession, files: list[LandingFile], spec: TableSpec, batch_id: str, ingested_at: datetime
) -> DataFrame | None:
    """The readable files' rows as one frame, columns united by name (a file's missing column is null).

    Files of one layout are read in one pass: read one by one, each file cost
    Spark a job before its first row, which made a weekly feed's 53 files the
    slowest part of its ingestion.
    """
    groups: dict[tuple[str, ...], list[LandingFile]] = {}
    frames = []
    for file in files:
        if file.unreadable is not None:
            continue
        if (layout := _shared_layout(file, spec)) is not None:
            groups.setdefault(layout, []).append(file)
        else:
            frames.append(with_ingest_metadata(read_landing_file(spark, file, spec), file, batch_id, ingested_at))
    stamp = [lit(ingested_at).alias("_ingested_at"), lit(batch_id).alias("_batch_id")]
    frames.extend(_read_together(spark, group, spec).select("*", *stamp) for group in groups.values())
    if not frames:
        return None
    return reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), frames)
