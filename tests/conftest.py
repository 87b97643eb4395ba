"""Session fixtures: a seeded sample landing, a local Spark with Delta, MinIO and the warehouse on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession
from xdist import is_xdist_worker

from lakehouse.ingest import IngestSummary, ingest_all
from lakehouse.landing.land import LandingManifest, land_sources
from lakehouse.minio_server import MinioServer
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess
from spark_jobs.session import build_spark_session
from tests.clickhouse import warehouse_on_free_port
from tests.long_outage import LONG_OUTAGE_TEST, OUTAGE_BUCKET, LongOutage

SAMPLE_HOUSEHOLDS = 12
MINIO_HOUSEHOLDS = 3
LAKE_BUCKET = "lake"


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


@pytest.fixture(scope="session")
def long_outage(
    local_settings: Settings, sample_landing: LandingManifest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LongOutage]:
    """The 4-minute outage scenario, started on a MinIO of its own; its test waits for the outcome."""
    with MinioServer.from_settings(local_settings, tmp_path_factory.mktemp("outage-minio")) as server:
        server.create_bucket(OUTAGE_BUCKET)
        outage = LongOutage(server, local_settings, tmp_path_factory.mktemp("long-outage"))
        outage.start()
        yield outage
        outage.wait()


@pytest.fixture(scope="session", autouse=True)
def _long_outage_in_the_background(request: pytest.FixtureRequest) -> None:
    """Start the 4-minute outage at the session's first test when its test is selected: its idle minutes overlap.

    Under ``pytest -n`` every worker collects every test, so none can tell it will run this one: the test
    goes first to a worker of its own (see ``pytest_collection_modifyitems``) and the others fill its minutes.
    """
    if not is_xdist_worker(request) and any(item.name == LONG_OUTAGE_TEST for item in request.session.items):
        request.getfixturevalue("long_outage")


SHARED_SAMPLES = {
    "long-outage": {"long_outage"},
    "platform": {"platform_run"},
    "lake": {"ingested_local", "ingested_minio"},
}
"""Tests that share one of these session fixtures run in one ``pytest -n`` worker, which builds it once.

In this order, the longest first, and ahead of every other test module: a worker that finishes takes the next.
"""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    """Group tests for ``pytest -n --dist loadgroup``: by the shared sample they need, else by module."""
    if not is_xdist_worker(session):
        return
    ranks = {group: rank for rank, group in enumerate(SHARED_SAMPLES)}

    def group_of(item: pytest.Item) -> str:
        needs = set(getattr(item, "fixturenames", ()))
        shared = (group for group, fixtures in SHARED_SAMPLES.items() if needs & fixtures)
        return next(shared, item.nodeid.split("::")[0])

    groups = {item.nodeid: group_of(item) for item in items}
    for item in items:
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    items.sort(key=lambda item: ranks.get(groups[item.nodeid], len(ranks)))  # stable: modules keep their order


@pytest.fixture(scope="session")
def spark(s3_settings: Settings) -> Iterator[SparkSession]:
    """One local SparkSession with Delta and S3A pointed at the test MinIO."""
    session = build_spark_session(s3_settings, app_name="lakehouse-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def ingested_local(spark: SparkSession, local_settings: Settings, sample_landing: LandingManifest) -> IngestSummary:
    """The sample landing ingested once into the local lake (bronze, silver, quarantine, ledger)."""
    summary = ingest_all(spark, local_settings)
    assert not summary.failed, summary.failed
    return summary


@pytest.fixture(scope="session")
def ingested_minio(spark: SparkSession, s3_settings: Settings) -> tuple[LandingManifest, IngestSummary]:
    """A smaller sample landed on MinIO and ingested into a lake on MinIO: only the URIs differ."""
    manifest = land_sources(s3_settings, households=MINIO_HOUSEHOLDS)
    summary = ingest_all(spark, s3_settings)
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
