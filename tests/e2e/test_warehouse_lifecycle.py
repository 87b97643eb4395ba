"""The warehouse process as operators meet it: one server per data path, clean stops, restarts after a kill."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lakehouse.processes import free_port
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess, holder_pid, is_serving
from tests.clickhouse import admin_password, connect

pytestmark = pytest.mark.e2e

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", clickhouse_url=f"http://127.0.0.1:{free_port()}")


def _lakehouse(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **settings.as_environment()}
    return subprocess.run([LAKEHOUSE, *arguments], capture_output=True, text=True, env=environment, timeout=120)


def _write_marker(process: WarehouseProcess) -> None:
    client = connect(process)
    client.command("CREATE TABLE IF NOT EXISTS marker (note String) ENGINE = MergeTree ORDER BY note")
    client.insert("marker", [["before the stop"]], column_names=["note"])


def _marker(process: WarehouseProcess) -> list[Sequence[object]]:
    return list(connect(process).query("SELECT note FROM marker").result_rows)


def test_a_second_server_on_the_same_path_fails_at_once_naming_path_and_holder(settings: Settings) -> None:
    with WarehouseProcess(settings) as first:
        assert first.process is not None
        started = time.perf_counter()
        second = _lakehouse(settings, "warehouse", "serve", "--port", str(free_port()))
        elapsed = time.perf_counter() - started

        assert second.returncode == 1
        assert (
            f"warehouse data path {settings.warehouse_data_path} is in use by process {first.process.pid}"
            in second.stdout
        )
        assert elapsed < 15
        assert is_serving(first.url)


def test_sigterm_stops_cleanly_and_the_data_is_there_on_restart(settings: Settings) -> None:
    first = WarehouseProcess(settings).start()
    _write_marker(first)
    assert first.process is not None
    process = first.process

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    with WarehouseProcess(settings) as restarted:
        assert _marker(restarted) == [("before the stop",)]


def test_after_sigkill_the_path_opens_again_with_its_data(settings: Settings) -> None:
    first = WarehouseProcess(settings).start()
    _write_marker(first)
    assert first.process is not None

    first.process.kill()
    first.process.wait()

    assert settings.warehouse_data_path is not None and holder_pid(settings.warehouse_data_path) is None
    with WarehouseProcess(settings) as restarted:
        assert _marker(restarted) == [("before the stop",)]


def test_default_passwords_never_listen_beyond_loopback(settings: Settings) -> None:
    exposed = settings.model_copy(update={"warehouse_host": "0.0.0.0"})

    result = _lakehouse(exposed, "warehouse", "serve")

    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0: the embedded default passwords are in use" in result.stdout


def test_start_and_stop_commands_run_it_in_the_background(settings: Settings) -> None:
    started = _lakehouse(settings, "warehouse", "start")
    assert started.returncode == 0, started.stdout
    assert is_serving(settings.clickhouse_url)

    stopped = _lakehouse(settings, "warehouse", "stop")

    assert stopped.returncode == 0, stopped.stdout
    assert "ok stopped warehouse process" in stopped.stdout
    assert not is_serving(settings.clickhouse_url)


def test_sigterm_during_a_streaming_query_cancels_it_and_exits_cleanly(settings: Settings) -> None:
    server = WarehouseProcess(settings).start()
    assert server.process is not None
    address = urlsplit(server.url)
    client = http.client.HTTPConnection(address.hostname or "", address.port, timeout=60)
    client.request(
        "POST",
        "/",
        body="SELECT number, sleepEachRow(0.1) FROM numbers(100000) SETTINGS max_block_size = 1",
        headers={"X-ClickHouse-User": settings.clickhouse_user, "X-ClickHouse-Key": admin_password(server)},
    )
    response = client.getresponse()
    response.read1(16)

    server.process.send_signal(signal.SIGTERM)

    assert server.process.wait(timeout=60) == 0
    client.close()
    assert settings.warehouse_data_path is not None and holder_pid(settings.warehouse_data_path) is None
