"""The embedded warehouse seen from the platform: its config from settings, and a process to start and stop.

``make run``, the tests and Dagster start it through :class:`WarehouseProcess`;
everything else only talks HTTP to ``CLICKHOUSE_URL``.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lakehouse.child_server import start_child, stop_child
from lakehouse.processes import answers
from lakehouse.progress import stage
from lakehouse.settings import Settings
from warehouse.config import LOOPBACK_HOSTS, WarehouseConfig, WarehouseUser

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


def warehouse_config(settings: Settings, port: int | None = None, data_path: Path | None = None) -> WarehouseConfig:
    assert settings.warehouse_data_path is not None
    return WarehouseConfig(
        data_path=data_path or settings.warehouse_data_path,
        users=(
            WarehouseUser(settings.clickhouse_user, settings.clickhouse_password.get_secret_value(), readonly=False),
            WarehouseUser(
                settings.analyst_user,
                settings.analyst_password.get_secret_value(),
                readonly=True,
                limits={
                    "max_execution_time": str(settings.analyst_max_execution_s),
                    "max_memory_usage": str(settings.analyst_max_memory_bytes),
                    "max_result_rows": str(settings.analyst_max_result_rows),
                    "max_result_bytes": str(settings.analyst_max_result_bytes),
                    "result_overflow_mode": "throw",
                },
                max_concurrent_queries=settings.analyst_max_concurrent_queries,
            ),
        ),
        lake=settings.object_store.lake_access(settings.lake_uri, settings.lake_named_collection),
        host=settings.warehouse_host,
        port=port or settings.clickhouse_port,
        max_body_bytes=settings.warehouse_max_body_bytes,
        default_credentials_in_use=settings.uses_default_warehouse_credentials,
        query_thread_nice=settings.warehouse_query_nice,
        anonymous_user=settings.warehouse_anonymous_user,
        confine=settings.warehouse_confine,
        allowed_origins=tuple(settings.warehouse_allowed_origins),
    )


def warehouse_client(settings: Settings, user: str, password: str) -> Client:
    """A clickhouse-connect client for ``CLICKHOUSE_URL``, the embedded warehouse or a real server alike."""
    import clickhouse_connect

    address = urlsplit(settings.clickhouse_url)
    return clickhouse_connect.get_client(
        host=address.hostname,
        port=address.port or 8123,
        secure=address.scheme == "https",
        username=user,
        password=password,
    )


def admin_client(settings: Settings) -> Client:
    """The warehouse as its admin, who owns the databases the platform writes."""
    return warehouse_client(settings, settings.clickhouse_user, settings.clickhouse_password.get_secret_value())


def analyst_client(settings: Settings) -> Client:
    """The warehouse as the read-only analyst login."""
    return warehouse_client(settings, settings.analyst_user, settings.analyst_password.get_secret_value())


def register_silver(settings: Settings, tables: list[str]) -> dict[str, int]:
    """Expose each silver Delta table as ``silver.<table>`` in the warehouse; return the rows the analyst sees.

    The tables use ClickHouse's Delta Lake engine, so every query reads the
    table's latest snapshot; re-registering picks up a changed schema. The
    analyst login, which may not call table functions, reads these.
    """
    admin = admin_client(settings)
    lake = warehouse_config(settings).lake
    admin.command("CREATE DATABASE IF NOT EXISTS silver")
    for table in tables:
        admin.command(f"CREATE OR REPLACE TABLE silver.{table} ENGINE = {lake.table_engine('silver', table)}")
    analyst = analyst_client(settings)
    return {table: int(analyst.query(f"SELECT count() FROM silver.{table}").result_rows[0][0]) for table in tables}


def is_embedded(settings: Settings) -> bool:
    """Whether ``CLICKHOUSE_URL`` is this machine's loopback, where the platform runs its own warehouse."""
    return urlsplit(settings.clickhouse_url).hostname in LOOPBACK_HOSTS


def is_serving(url: str, timeout_s: float = 1.0) -> bool:
    return answers(f"{url.rstrip('/')}/ping", timeout_s)


def holder_pid(data_path: Path) -> int | None:
    """The process serving ``data_path``, from the lock file its server holds, if it is alive."""
    try:
        with (data_path / "warehouse.lock").open() as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return int(lock_file.read().strip())
            return None  # the lock was free: nobody serves this path
    except (FileNotFoundError, ValueError):
        return None


@dataclass
class WarehouseProcess:
    """``lakehouse warehouse serve`` as a child process, on the settings' port or the one given."""

    settings: Settings
    port: int | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.settings.warehouse_host}:{self.port or self.settings.clickhouse_port}"

    def start(self, timeout_s: float = 60.0) -> WarehouseProcess:
        command = [str(Path(sys.executable).with_name("lakehouse")), "warehouse", "serve"]
        if self.port:
            command += ["--port", str(self.port)]
        log_path = self.log_path or self.settings.data_dir / "logs" / "warehouse.log"
        self.process = start_child(
            f"the warehouse at {self.url}",
            command,
            ready=lambda: is_serving(self.url, timeout_s=0.5),
            log_path=log_path,
            timeout_s=timeout_s,
            environment={**os.environ, **self.settings.as_environment()},
        )
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        stop_child(self.process, grace_s=timeout_s)
        self.process = None

    def __enter__(self) -> WarehouseProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class WarehouseUnreachableError(ConnectionError):
    """``CLICKHOUSE_URL`` does not answer: transient, worth a retry, unlike a query the warehouse refused."""


def ensure_warehouse(settings: Settings) -> WarehouseProcess | None:
    """Start the embedded warehouse (detached) when it is this machine's and not serving; a remote one must answer.

    Returns the process it started, or None when one was already serving.
    """
    if is_serving(settings.clickhouse_url):
        return None
    if not is_embedded(settings):
        raise WarehouseUnreachableError(f"warehouse {settings.clickhouse_url} does not answer /ping")
    with stage(f"starting the warehouse on {settings.clickhouse_url}") as report:
        process = WarehouseProcess(settings).start()
        report.notes.append(f"data {settings.warehouse_data_path}; `lakehouse warehouse stop` stops it")
    return process


def stop_serving(data_path: Path, timeout_s: float = 30.0) -> int | None:
    """Stop the server holding ``data_path`` with SIGTERM; return its pid, or None if none was running."""
    pid = holder_pid(data_path)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        time.sleep(0.1)
    raise TimeoutError(f"warehouse process {pid} did not stop within {timeout_s:.0f}s of SIGTERM")
