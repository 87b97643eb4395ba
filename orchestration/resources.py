"""The resources every domain uses, each built from the platform's one settings object.

Environments differ only in settings: the same definitions run on the local
folder lake, MinIO or S3, the embedded warehouse or a ClickHouse cluster, and
``local[2]`` Spark or a cluster, by what ``lakehouse.settings`` reads.
Nothing here opens a connection until an asset asks for one.
"""

import os
import sys
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging.version import Version
from pyspark.sql import SparkSession

from lakehouse.dbt import DBT_PROJECT_DIR, dbt_profiles_dir
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client, ensure_warehouse, register_silver
from spark_jobs.session import build_spark_session


class SparkResource(dg.ConfigurableResource):
    """Owns the run's SparkSession, built once per process by ``spark_jobs.session`` (Delta, S3A, Maven jars).

    Our own resource rather than dagster-pyspark's: the one session builder also
    sets the worker Python and hands Spark the Maven-resolved jars. The session
    lives as long as the run's process, so every asset of a run shares one JVM.
    """

    settings: dg.ResourceDependency[Settings]

    def session(self) -> SparkSession:
        return build_spark_session(self.settings, app_name="lakehouse-dagster")


class WarehouseResource(dg.ConfigurableResource):
    """The ClickHouse endpoint at ``CLICKHOUSE_URL``: the embedded one starts when absent; a remote one must answer."""

    settings: dg.ResourceDependency[Settings]

    def ensure_serving(self) -> bool:
        """Whether this call started the embedded warehouse; ``WarehouseUnreachableError`` when a remote is silent."""
        return ensure_warehouse(self.settings) is not None

    def register_silver(self, tables: list[str]) -> dict[str, int]:
        return register_silver(self.settings, tables)

    def row_count(self, relation: str) -> int:
        """Rows in a table the platform built (``database.table`` as dbt names it), asked as its admin."""
        return int(admin_client(self.settings).query(f"SELECT count() FROM {relation}").result_rows[0][0])


class PlatformDbtResource(DbtCliResource):
    """dagster-dbt's dbt resource, told the version of the dbt installed beside it instead of asking dbt.

    dagster-dbt asks by running ``dbt --version`` before a step's first command:
    seconds of a second dbt process per step, and a query to PyPI for dbt's newest
    release from every step, which a platform should not make at run time. The
    executable is the one in this environment, so its version is the package's.
    """

    @property
    def _cli_version(self) -> Version:
        return Version(installed_version("dbt-core"))


def platform_resources(settings: Settings) -> dict[str, Any]:
    """Every resource the definitions use, by the parameter name assets ask for."""
    return {
        "settings": settings,
        "spark": SparkResource(settings=settings),
        "warehouse": WarehouseResource(settings=settings),
        "dbt": PlatformDbtResource(
            project_dir=os.fspath(DBT_PROJECT_DIR),
            profiles_dir=os.fspath(dbt_profiles_dir(settings)),
            dbt_executable=os.fspath(Path(sys.executable).with_name("dbt")),
        ),
    }
