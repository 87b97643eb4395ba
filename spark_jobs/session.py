"""The one SparkSession builder: Delta Lake, S3A for any S3 endpoint, 2-core defaults.

Jobs never build a session; they receive DataFrames. The JVM jars come from
``spark_jobs/pom.xml`` (copied by Maven into ``spark_jobs/jars``) and are handed
to Spark through ``spark.jars``, because Spark's own ``--packages`` resolver
ignores Maven's settings and cannot reach a repository here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from pyspark import SparkContext
from pyspark.sql import SparkSession


class SessionSettings(Protocol):
    """What the session needs from the platform's settings (``lakehouse.settings.Settings`` provides it)."""

    spark_master: str
    spark_driver_memory: str
    spark_shuffle_partitions: int
    spark_ui: bool
    spark_python: str
    jars_dir: Path

    @property
    def s3a_options(self) -> Mapping[str, str]:
        """Hadoop S3A options for the object store (``lakehouse.object_store.ObjectStore.s3a_options``)."""


LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")

SparkSource = Callable[[], SparkSession]
"""How a step gets its session: asked only when there is work for Spark, so a step with nothing to do starts no JVM."""


class MissingSparkJarsError(RuntimeError):
    """The Maven-resolved jars are absent; ``make jars`` puts them in place."""


SPARK_OUT_OF_MEMORY_EXIT = 52
"""The exit code Spark's uncaught-exception handler gives the JVM on an ``OutOfMemoryError`` (``SparkExitCode.OOM``)."""


class SparkStoppedError(RuntimeError):
    """The session's JVM is gone: every later call would only fail with a refused connection to it."""


def stopped_jvm(settings: SessionSettings) -> str | None:
    """Why the local JVM of this process's Spark session is no longer running, or None (running, or no session).

    Asked where a failure is turned into its reason (the command line's
    one-line failure, a Dagster step's failure, a table's ingestion): after the
    JVM died every call into it fails with a refused connection, which says
    nothing of why. PySpark keeps the process it started (``spark-submit``,
    which becomes the JVM) on the active context's gateway; a session on a
    remote JVM has none, and None is the answer.
    """
    context = SparkContext._active_spark_context
    process = None if context is None else getattr(context._gateway, "proc", None)
    code = None if process is None else process.poll()
    if code is None:
        return None
    if code == SPARK_OUT_OF_MEMORY_EXIT:
        return (
            f"Spark's JVM ran out of heap (java.lang.OutOfMemoryError with spark.driver.memory "
            f"{settings.spark_driver_memory}; LAKEHOUSE_SPARK_DRIVER_MEMORY gives it more)"
        )
    return f"Spark's JVM stopped ({f'killed by signal {-code}' if code < 0 else f'exit code {code}'})"


def spark_jars(jars_dir: Path) -> list[Path]:
    """The jars Spark needs beyond pyspark's own, or an error naming the fix."""
    jars = sorted(jars_dir.glob("*.jar"))
    if not any(jar.name.startswith("delta-spark_") for jar in jars):
        raise MissingSparkJarsError(f"no delta-spark jar in {jars_dir}: run `make jars` (Maven, spark_jobs/pom.xml)")
    return jars


def build_spark_session(settings: SessionSettings, app_name: str = "lakehouse") -> SparkSession:
    """Get or create the SparkSession configured from settings."""
    jars = spark_jars(settings.jars_dir)
    # PySpark starts its Python workers with PYSPARK_PYTHON, not the spark.pyspark.python setting.
    os.environ["PYSPARK_PYTHON"] = settings.spark_python or sys.executable
    if settings.spark_master.startswith("local"):
        # Bind the local driver to loopback instead of guessing a public interface.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName(app_name)
        .config("spark.jars", ",".join(str(jar) for jar in jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.ui.enabled", str(settings.spark_ui).lower())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}")
    )
    for key, value in settings.s3a_options.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
