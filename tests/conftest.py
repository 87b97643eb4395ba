"""Session fixtures: a seeded sample landing, a local Spark with Delta, MinIO and the warehouse on free ports."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from xdist import is_xdist_worker
from xdist.workermanage import WorkerController

from lakehouse.dbt import DbtBuild, build_marts
from lakehouse.ingest import IngestSummary, ingest_all
from lakehouse.landing.land import LandingManifest, land_sources
from lakehouse.minio_server import MinioServer
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess
from spark_jobs.session import build_spark_session
from tests.clickhouse import warehouse_on_free_port
from tests.long_outage import LONG_OUTAGE_TEST, LongOutage, OutageReport

SAMPLE_HOUSEHOLDS = 12
MINIO_HOUSEHOLDS = 3
LAKE_BUCKET = "lake"


IN_MEMORY = Path("/dev/shm")
IN_MEMORY_NEEDED = 3 * 2**30
"""Free bytes the in-memory folder must offer for a session's lakes, warehouses, Dagster homes and logs; else disk."""
IN_MEMORY_BASETEMP = pytest.StashKey[Path]()
SESSION_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Every test's folders in memory (tmpfs) when the machine has one with room and no ``--basetemp`` was given.

    The engines write as they do on disk, but a Dagster run's thousands of
    SQLite commits, MinIO's synced writes and Delta's log files no longer wait
    for the disk. Workers take their folders under the controller's.
    """
    if hasattr(config, "workerinput") or config.option.basetemp or not os.access(IN_MEMORY, os.W_OK):
        return
    if shutil.disk_usage(IN_MEMORY).free < IN_MEMORY_NEEDED:
        return
    config.option.basetemp = tempfile.mkdtemp(prefix="lakehouse-tests-", dir=IN_MEMORY)
    config.stash[IN_MEMORY_BASETEMP] = Path(config.option.basetemp)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    if (folder := config.stash.get(IN_MEMORY_BASETEMP, None)) is not None and exitstatus != pytest.ExitCode.OK:
        terminalreporter.write_line(f"test folders (logs, lakes, Dagster homes) kept in memory at {folder}")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The in-memory folders go with a passing session; a failing one's stay for reading (see the summary)."""
    folder = config.stash.get(IN_MEMORY_BASETEMP, None)
    if folder is not None and not config.stash.get(SESSION_FAILED, True):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Embedded defaults, with every folder under this test session's temporary directory."""
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "tokenisation.key")


@pytest.fixture(scope="session")
def sample_landing(local_settings: Settings) -> LandingManifest:
    """The real data for a seeded sample of households, landed once per test session."""
    return land_sources(local_settings, households=SAMPLE_HOUSEHOLDS)


@pytest.fixture(scope="session")
def minio(tmp_path_factory: pytest.TempPathFactory, local_settings: Settings) -> Iterator[MinioServer]:
    """A real MinIO server on a free loopback port with the lake bucket created."""
    with MinioServer.from_settings(local_settings, tmp_path_factory.mktemp("minio")) as server:
        server.create_bucket(LAKE_BUCKET)
        yield server


@pytest.fixture(scope="session")
def s3_settings(local_settings: Settings, minio: MinioServer) -> Settings:
    """Settings that put the lake (and landing) on MinIO, as production puts them on S3."""
    return local_settings.model_copy(
        update={
            "lake_uri": f"s3a://{LAKE_BUCKET}/lake",
            "landing_uri": f"s3://{LAKE_BUCKET}/landing",
            "s3_endpoint": minio.endpoint,
            "s3_access_key": minio.user,
            "s3_secret_key": local_settings.minio_password,
        }
    )


LONG_OUTAGE = pytest.StashKey[LongOutage]()
LONG_OUTAGE_REPORT = "long_outage_report"


def _long_outage_of(config: pytest.Config) -> LongOutage:
    """The session's one outage scenario, in a folder of the process that plays it (not yet started)."""
    if LONG_OUTAGE not in config.stash:
        folder = config._tmp_path_factory.mktemp("long-outage")  # type: ignore[attr-defined]
        config.stash[LONG_OUTAGE] = LongOutage.in_folder(folder, SAMPLE_HOUSEHOLDS)
    return config.stash[LONG_OUTAGE]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: WorkerController) -> None:
    """The xdist controller plays the outage; each worker learns where its report will be."""
    node.workerinput[LONG_OUTAGE_REPORT] = str(_long_outage_of(node.config).report_path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: WorkerController, ids: list[str]) -> None:
    """Start the outage as soon as a worker has collected its test: its idle minutes overlap every worker's tests."""
    outage = _long_outage_of(node.config)
    if not outage.started and any(LONG_OUTAGE_TEST in nodeid for nodeid in ids):
        outage.start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[SESSION_FAILED] = exitstatus != pytest.ExitCode.OK
    if not is_xdist_worker(session) and LONG_OUTAGE in session.config.stash:
        session.config.stash[LONG_OUTAGE].stop()


@pytest.fixture(scope="session", autouse=True)
def _long_outage_in_the_background(request: pytest.FixtureRequest) -> None:
    """In a run without workers, start the outage at the session's first test when its test is selected."""
    if not is_xdist_worker(request) and any(item.name == LONG_OUTAGE_TEST for item in request.session.items):
        _long_outage_of(request.config).start()


@pytest.fixture
def long_outage_report(request: pytest.FixtureRequest) -> OutageReport:
    """The outage scenario's report, once the process that plays it has written it."""
    if is_xdist_worker(request):
        path = Path(request.config.workerinput[LONG_OUTAGE_REPORT])  # type: ignore[attr-defined]
    else:
        path = _long_outage_of(request.config).report_path
    return OutageReport.wait_for(path)


SHARED_SAMPLES = {
    "platform": {"platform_run"},
    "lake": {"ingested_local", "ingested_minio"},
}
"""Tests that share one of these session fixtures run in one ``pytest -n`` worker, which builds it once.

In this order, the longest first, and ahead of every other test module: a worker that finishes takes the next.
"""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    """Group tests for ``pytest -n --dist loadgroup``: by the shared sample they need, else by module.

    The long outage's test goes last, when its scenario, played since the session started, is over.
    """
    items.sort(key=lambda item: item.name == LONG_OUTAGE_TEST)
    if not is_xdist_worker(session):
        return
    ranks = {group: rank for rank, group in enumerate(SHARED_SAMPLES)}

    def group_of(item: pytest.Item) -> str:
        if item.name == LONG_OUTAGE_TEST:
            return "long-outage"
        needs = set(getattr(item, "fixturenames", ()))
        shared = (group for group, fixtures in SHARED_SAMPLES.items() if needs & fixtures)
        return next(shared, item.nodeid.split("::")[0])

    groups = {item.nodeid: group_of(item) for item in items}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    items.sort(key=lambda item: (item.name == LONG_OUTAGE_TEST, ranks.get(groups[item.nodeid], len(ranks))))


@pytest.fixture(scope="session")
def spark(s3_settings: Settings) -> Iterator[SparkSession]:
    """One local SparkSession with Delta and S3A pointed at the test MinIO."""
    session = build_spark_session(s3_settings, app_name="lakehouse-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def ingested_local(spark: SparkSession, local_settings: Settings, sample_landing: LandingManifest) -> IngestSummary:
    """The sample landing ingested once into the local lake (bronze, silver, quarantine, ledger)."""
    summary = ingest_all(lambda: spark, local_settings)
    assert not summary.failed, summary.failed
    return summary


@pytest.fixture(scope="session")
def ingested_minio(spark: SparkSession, s3_settings: Settings) -> tuple[LandingManifest, IngestSummary]:
    """A smaller sample landed on MinIO and ingested into a lake on MinIO: only the URIs differ."""
    manifest = land_sources(s3_settings, households=MINIO_HOUSEHOLDS)
    summary = ingest_all(lambda: spark, s3_settings)
    assert not summary.failed, summary.failed
    return manifest, summary


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory, local_settings: Settings) -> Iterator[WarehouseProcess]:
    """The embedded warehouse serving its own data path on a free port, reading the local lake."""
    with warehouse_on_free_port(local_settings, tmp_path_factory.mktemp("warehouse")) as process:
        yield process


@pytest.fixture(scope="session")
def s3_warehouse(tmp_path_factory: pytest.TempPathFactory, s3_settings: Settings) -> Iterator[WarehouseProcess]:
    """A second warehouse whose lake is on MinIO, so Delta tables are read over S3."""
    with warehouse_on_free_port(s3_settings, tmp_path_factory.mktemp("s3-warehouse")) as process:
        yield process


@pytest.fixture(scope="session")
def marts(ingested_local: IngestSummary, warehouse: WarehouseProcess) -> DbtBuild:
    """``dbt build`` (models, tests, unit tests, reconciliations) on the sample lake, once per session."""
    return build_marts(warehouse.settings)
