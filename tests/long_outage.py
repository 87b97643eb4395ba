"""The 4-minute object-store outage, played in the background on a MinIO of its own.

The scenario is four idle minutes of a stopped store between two ``lakehouse
ingest`` runs. Played from the session's first test, its idle minutes overlap
the other tests; its own MinIO means stopping it touches no other test's store.
The test that asserts on it (``tests/integration/spark_jobs/test_ingest_store_outage.py``)
waits for the outcome.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from lakehouse.minio_server import MinioServer
from lakehouse.settings import Settings

LONG_OUTAGE_TEST = "test_a_4_minute_outage_fails_the_ingestion_in_one_line_per_table_and_a_rerun_completes_it"
LONG_OUTAGE_SECONDS = 240
OUTAGE_BUCKET = "outage"
LAKE_PREFIX = "long-outage-lake"
OUTAGE_TABLES = ("products", "transactions")
LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))


def wait_for_commit(minio: MinioServer, bucket: str, prefix: str, ingesting: Callable[[], bool]) -> None:
    """Return once ``prefix`` exists in ``bucket``: the ingestion is past its first commit, mid-way."""
    client = minio.object_store.boto3_client()
    deadline = time.monotonic() + 600
    while not client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0):
        assert ingesting() and time.monotonic() < deadline, f"the ingestion never committed {prefix}"
        time.sleep(0.2)


@dataclass
class OutageOutcome:
    """What the two ``lakehouse ingest`` runs printed and returned."""

    during_returncode: int | None = None
    printed: str = ""
    after: subprocess.CompletedProcess[str] | None = None


@dataclass
class LongOutage:
    """``lakehouse ingest`` of two tables, the store stopped for 4 minutes mid-way, then the same command again."""

    minio: MinioServer
    local_settings: Settings
    work_dir: Path
    outcome: OutageOutcome = field(default_factory=OutageOutcome)
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    @property
    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "LAKEHOUSE_DATA_DIR": str(self.work_dir),
            "LAKEHOUSE_TOKENISATION_KEY_FILE": str(self.work_dir / "secrets" / "tokenisation.key"),
            "LAKEHOUSE_LAKE_URI": f"s3a://{OUTAGE_BUCKET}/{LAKE_PREFIX}",
            "LAKEHOUSE_LANDING_URI": self.local_settings.landing_uri,
            "S3_ENDPOINT": self.minio.endpoint,
            "AWS_ACCESS_KEY_ID": self.minio.user,
            "AWS_SECRET_ACCESS_KEY": self.minio.password,
        }

    def start(self) -> None:
        self._thread = threading.Thread(target=self._play, name="long-outage", daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float = 3600) -> None:
        assert self._thread is not None, "the long outage was never started"
        self._thread.join(timeout=timeout_s)
        assert not self._thread.is_alive(), f"the long outage had not ended after {timeout_s:.0f} s"

    def result(self, timeout_s: float = 3600) -> OutageOutcome:
        """The outcome once the scenario has ended; what stopped it, raised, if it could not be played."""
        self.wait(timeout_s)
        if self.error is not None:
            raise self.error
        return self.outcome

    def _play(self) -> None:
        try:
            self._outage_then_rerun()
        except BaseException as error:  # noqa: BLE001 - result() raises it in the test
            self.error = error

    def _outage_then_rerun(self) -> None:
        command = [LAKEHOUSE, "ingest", "--tables", ",".join(OUTAGE_TABLES)]
        output = self.work_dir / "ingest-during-outage.txt"
        with output.open("w") as written:
            during = subprocess.Popen(command, stdout=written, stderr=subprocess.STDOUT, env=self.environment)
        wait_for_commit(
            self.minio, OUTAGE_BUCKET, f"{LAKE_PREFIX}/silver/products/_delta_log/", lambda: during.poll() is None
        )
        self.minio.stop()
        back_at = time.monotonic() + LONG_OUTAGE_SECONDS
        try:
            with suppress(subprocess.TimeoutExpired):
                during.wait(timeout=LONG_OUTAGE_SECONDS)
        finally:
            time.sleep(max(0.0, back_at - time.monotonic()))  # the store stays down its full 4 minutes either way
            self.minio.start()
        self.outcome.during_returncode = during.wait(timeout=1800)
        self.outcome.printed = output.read_text()
        self.outcome.after = subprocess.run(
            command, capture_output=True, text=True, env=self.environment, check=False, timeout=1800
        )

    def lake_table(self, zone: str, table: str) -> pa.Table | None:
        """A table of the outage's lake as it stands, read with delta-rs; None when it was never written."""
        uri = f"s3://{OUTAGE_BUCKET}/{LAKE_PREFIX}/{zone}/{table}"
        try:
            return DeltaTable(uri, storage_options=self.minio.object_store.delta_rs_options()).to_pyarrow_table()
        except TableNotFoundError:
            return None
