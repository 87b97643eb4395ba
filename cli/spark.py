"""Spark for a command that may not need it: the JVM starts, with its progress line, when first asked for."""

from __future__ import annotations

import functools

from pyspark.sql import SparkSession

from lakehouse.progress import stage
from lakehouse.settings import Settings
from spark_jobs.session import SparkSource, build_spark_session


def spark_when_needed(settings: Settings) -> SparkSource:
    """A Spark source whose first call starts the session (once); a command with nothing for Spark starts none."""

    @functools.cache
    def spark() -> SparkSession:
        with stage("starting Spark with Delta") as report:
            session = build_spark_session(settings)
            report.notes.append(
                f"master {settings.spark_master}, lake {settings.lake_uri}, landing {settings.landing_uri}"
            )
        return session

    return spark
