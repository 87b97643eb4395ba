"""``lakehouse up`` started as a shell starts a background job: stopped by a signal, nothing left.

A shell starts background jobs with SIGINT ignored; ``lakehouse up`` must
still stop on it, and stop the warehouse, the API and every Dagster process it started.
(One ``up`` per data folder is tested on the running platform, in
``tests/integration/orchestration/test_dagster_ui.py``.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from lakehouse.processes import answers, free_port
from tests.processes import stop_process_tree

pytestmark = pytest.mark.e2e

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))


@dataclass
class Background:
    process: subprocess.Popen[str]
    ui: str
    warehouse: str
    api: str


def _as_a_background_job() -> None:
    """What ``cmd &`` does to the child of a non-interactive shell."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start(environment: dict[str, str], port: int, api_port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [LAKEHOUSE, "up", "--port", str(port), "--api-port", str(api_port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_as_a_background_job,
    )


@pytest.fixture
def background_up(tmp_path: Path) -> Iterator[Background]:
    """``lakehouse up`` on an empty data folder with a warehouse of its own, started with SIGINT ignored."""
    warehouse = f"http://127.0.0.1:{free_port()}"
    environment = {**os.environ, "LAKEHOUSE_DATA_DIR": str(tmp_path / "data"), "CLICKHOUSE_URL": warehouse}
    port, api_port = free_port(), free_port()
    process = _start(environment, port, api_port)
    up = Background(process, f"http://127.0.0.1:{port}", warehouse, f"http://127.0.0.1:{api_port}")
    deadline = time.monotonic() + 240
    while not answers(f"{up.api}/healthz") and process.poll() is None:
        assert time.monotonic() < deadline, "the API beside the Dagster UI never answered"
        time.sleep(0.5)
    yield up
    stop_process_tree(process)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_background_lakehouse_up_stops_on_a_signal_and_leaves_no_child(
    background_up: Background, signum: signal.Signals
) -> None:
    children = psutil.Process(background_up.process.pid).children(recursive=True)
    assert answers(f"{background_up.warehouse}/ping")
    assert answers(f"{background_up.ui}/server_info")

    background_up.process.send_signal(signum)
    output, _ = background_up.process.communicate(timeout=120)

    assert background_up.process.returncode == 0, output
    assert "ok stopped" in output
    assert len(children) >= 4, children
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
    assert not answers(f"{background_up.ui}/server_info")
    assert not answers(f"{background_up.warehouse}/ping")
    assert not answers(f"{background_up.api}/healthz")
