"""The whole asset graph materialised once, in-process, on the sample, with its own data folder and warehouse."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
from pyspark.sql import SparkSession

from lakehouse.dagster_ui import dagster_home
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess
from orchestration.materialise import PlatformRun, materialise_platform
from tests.clickhouse import warehouse_on_free_port
from tests.conftest import SAMPLE_HOUSEHOLDS


@pytest.fixture(scope="session")
def platform_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarehouseProcess]:
    """A warehouse for the orchestrated platform, whose settings put every folder in a fresh data folder."""
    data_dir = tmp_path_factory.mktemp("platform")
    settings = Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "tokenisation.key")
    with warehouse_on_free_port(settings, data_dir / "warehouse") as process:
        yield process


@pytest.fixture(scope="session")
def platform_settings(platform_warehouse: WarehouseProcess) -> Settings:
    return platform_warehouse.settings


@pytest.fixture(scope="session")
def platform_instance(platform_settings: Settings) -> dg.DagsterInstance:
    """The Dagster instance in the platform's data folder, the one ``lakehouse up`` opens."""
    return dg.DagsterInstance.from_config(str(dagster_home(platform_settings)))


@pytest.fixture(scope="session")
def platform_run(
    spark: SparkSession, platform_settings: Settings, platform_instance: dg.DagsterInstance
) -> PlatformRun:
    """``lakehouse run``'s materialisation: every asset and check, landing to marts, over all 53 weeks.

    It asks for the session's ``spark`` first: the Spark resource gets that same session, whose S3A
    settings reach MinIO too (a session that exists already keeps its Hadoop settings).
    """
    return materialise_platform(platform_settings, households=SAMPLE_HOUSEHOLDS, instance=platform_instance)
