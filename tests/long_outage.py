"""The 4-minute object-store outage, played in the background on a MinIO of its own.

The scenario is four idle minutes of a stopped store between two ``lakehouse
ingest`` runs. It is played from the session's start by the process that
schedules the tests (the xdist controller, or the only process of a serial
run), so its idle minutes overlap every worker's tests; its own MinIO means
stopping it touches no other test's store. It writes what it saw to a report
file, which the test that asserts on it
(``tests/integration/spark_jobs/test_ingest_store_outage.py``) waits for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from lakehouse.landing.land import land_sources
from lakehouse.minio_server import MinioServer
from lakehouse.object_store import ObjectStore
from lakehouse.settings import Settings

LONG_OUTAGE_TEST = "test_a_4_minute_outage_fails_the_ingestion_in_one_line_per_table_and_a_rerun_completes_it"
LONG_OUTAGE_SECONDS = 240
OUTAGE_BUCKET = "outage"
LAKE_PREFIX = "long-outage-lake"
OUTAGE_TABLES = ("products", "transactions")
LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))
REPORT_TIMEOUT_S = 3600


def wait_for_commit(minio: MinioServer, bucket: str, prefix: str, ingesting: Callable[[], bool]) -> None:
    """Return once ``prefix`` exists in ``bucket``: the ingestion is past its first commit, mid-way."""
    client = minio.object_store.boto3_client()
    deadline = time.monotonic() + 600
    while not client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0):
        assert ingesting() and time.monotonic() < deadline, f"the ingestion never committed {prefix}"
        time.sleep(0.2)


@dataclass(frozen=True)
class OutageReport:
    """What the scenario saw: the two ``lakehouse ingest`` runs' exit codes and output, and where its store is.

    ``error`` is why the scenario could not be played, when it could not.
    """

    endpoint: str = ""
    landed_rows: dict[str, int] = field(default_factory=dict)
    """Rows landed per outage table: the scenario lands its own copy of the seeded sample."""
    during_returncode: int | None = None
    printed: str = ""
    after_returncode: int | None = None
    after_output: str = ""
    error: str | None = None

    def save(self, path: Path) -> None:
        """Written aside and renamed into place, so a reader sees the whole report or none."""
        aside = path.with_name(f".{path.name}.writing")
        aside.write_text(json.dumps(asdict(self)))
        aside.replace(path)

    @classmethod
    def wait_for(cls, path: Path, timeout_s: float = REPORT_TIMEOUT_S) -> OutageReport:
        """The report once the scenario has written it; raises what stopped the scenario, if anything did."""
        deadline = time.monotonic() + timeout_s
        while not path.exists():
            assert time.monotonic() < deadline, f"the long outage wrote no report to {path} in {timeout_s:.0f} s"
            time.sleep(1)
        report = cls(**json.loads(path.read_text()))
        assert report.error is None, f"the long outage could not be played: {report.error}"
        return report

    def lake_table(self, settings: Settings, zone: str, table: str) -> pa.Table | None:
        """A table of the outage's lake as it stands, read with delta-rs; None when it was never written.

        Its MinIO takes the credentials every test MinIO takes: ``settings``' defaults.
        """
        store = ObjectStore(self.endpoint, access_key=settings.minio_user, secret_key=settings.minio_password)
        uri = f"s3://{OUTAGE_BUCKET}/{LAKE_PREFIX}/{zone}/{table}"
        try:
            return DeltaTable(uri, storage_options=store.delta_rs_options()).to_pyarrow_table()
        except TableNotFoundError:
            return None


@dataclass
class LongOutage:
    """``lakehouse ingest`` of two tables, the store stopped for 4 minutes mid-way, then the same command again.

    Played in a thread from a folder of its own: it lands its own copy of the
    seeded sample, starts its own MinIO and writes its report to ``report_path``.
    The MinIO stays up until :meth:`stop`, so the test can read the lake.
    """

    settings: Settings
    households: int
    report_path: Path
    minio: MinioServer | None = None
    _thread: threading.Thread | None = None
    _running: subprocess.Popen[bytes] | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def in_folder(cls, work_dir: Path, households: int) -> LongOutage:
        settings = Settings(data_dir=work_dir, tokenisation_key_file=work_dir / "secrets" / "tokenisation.key")
        return cls(settings, households, work_dir / "report.json")

    @property
    def environment(self) -> dict[str, str]:
        assert self.minio is not None
        return {
            **os.environ,
            "LAKEHOUSE_DATA_DIR": str(self.settings.data_dir),
            "LAKEHOUSE_TOKENISATION_KEY_FILE": str(self.settings.tokenisation_key_file),
            "LAKEHOUSE_LAKE_URI": f"s3a://{OUTAGE_BUCKET}/{LAKE_PREFIX}",
            "LAKEHOUSE_LANDING_URI": self.settings.landing_uri,
            "S3_ENDPOINT": self.minio.endpoint,
            "AWS_ACCESS_KEY_ID": self.minio.user,
            "AWS_SECRET_ACCESS_KEY": self.minio.password,
        }

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._play, name="long-outage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the scenario where it is (a session that ends early), then its MinIO."""
        self._stopping.set()
        if self._running is not None and self._running.poll() is None:
            self._running.kill()
        if self._thread is not None:
            self._thread.join()
        if self.minio is not None:
            self.minio.stop()

    def _play(self) -> None:
        report = OutageReport()
        try:
            landed = land_sources(self.settings, households=self.households)
            assert not self._stopping.is_set(), "the session ended first"
            self.minio = MinioServer.from_settings(self.settings, self.settings.data_dir / "minio").start()
            self.minio.create_bucket(OUTAGE_BUCKET)
            report = self._outage_then_rerun(self.minio)
            report = replace(report, landed_rows={table: landed.rows(table) for table in OUTAGE_TABLES})
        except BaseException as error:  # noqa: BLE001 - the report carries it to the test
            report = replace(report, error=f"{type(error).__name__}: {error}")
        report.save(self.report_path)

    def _ingest(self, output: Path) -> subprocess.Popen[bytes]:
        """``lakehouse ingest`` of the outage's tables, its output to ``output``."""
        command = [LAKEHOUSE, "ingest", "--tables", ",".join(OUTAGE_TABLES)]
        with output.open("w") as written:
            running = subprocess.Popen(command, stdout=written, stderr=subprocess.STDOUT, env=self.environment)
        self._running = running
        return running

    def _outage_then_rerun(self, minio: MinioServer) -> OutageReport:
        during_output = self.settings.data_dir / "ingest-during-outage.txt"
        during = self._ingest(during_output)
        wait_for_commit(
            minio, OUTAGE_BUCKET, f"{LAKE_PREFIX}/silver/products/_delta_log/", lambda: during.poll() is None
        )
        minio.stop()
        back_at = time.monotonic() + LONG_OUTAGE_SECONDS
        with suppress(subprocess.TimeoutExpired):
            during.wait(timeout=LONG_OUTAGE_SECONDS)
        # The store stays down its full 4 minutes either way, unless the session is ending.
        assert not self._stopping.wait(max(0.0, back_at - time.monotonic())), "the session ended first"
        minio.start()
        during_returncode = during.wait(timeout=1800)
        assert not self._stopping.is_set(), "the session ended first"
        after_output = self.settings.data_dir / "ingest-after-outage.txt"
        after_returncode = self._ingest(after_output).wait(timeout=1800)
        return OutageReport(
            endpoint=minio.endpoint,
            during_returncode=during_returncode,
            printed=during_output.read_text(),
            after_returncode=after_returncode,
            after_output=after_output.read_text(),
        )
