"""``lakehouse run`` killed outright (SIGKILL) while dbt builds: nothing it started runs on, and its run is failed.

Each run starts from a copy of the session's landed and ingested sample, so it
reaches ``dbt build`` without landing or ingesting anything again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psutil
import pytest

from lakehouse.ingest import IngestSummary
from lakehouse.processes import free_port
from lakehouse.settings import Settings
from tests.conftest import SAMPLE_HOUSEHOLDS
from tests.lake import copy_local_sample

pytestmark = pytest.mark.e2e

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))


def _ingested_copy(local_settings: Settings, data_dir: Path) -> dict[str, str]:
    """The environment of a ``lakehouse run`` on a copy of the ingested sample, with a warehouse of its own."""
    settings = Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "tokenisation.key")
    copy_local_sample(local_settings, settings)
    return {**os.environ, **settings.as_environment(), "CLICKHOUSE_URL": f"http://127.0.0.1:{free_port()}"}


def _dbt_build_under(pid: int, timeout_s: float) -> psutil.Process:
    """The ``dbt build`` process among ``pid``'s descendants, once it has started."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child in psutil.Process(pid).children(recursive=True):
            try:
                command = " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                continue
            if "dbt" in command and " build" in command:
                return child
        time.sleep(0.2)
    raise TimeoutError(f"no dbt build under process {pid} within {timeout_s:.0f}s")


def _audit_blocks(audit_output: str) -> list[str]:
    """``lakehouse audit``'s records, each its header line and the lines under it."""
    blocks: list[str] = []
    for line in audit_output.splitlines():
        if line[:2] == "20":
            blocks.append(line)
        elif blocks:
            blocks[-1] += "\n" + line
    return blocks


@pytest.mark.parametrize(
    ("killed", "recorded_reason"),
    [
        ("command", "lakehouse run was stopped (Ctrl-C, SIGTERM, or its command was killed) before its run ended"),
        ("worker", "lakehouse run's worker was killed by SIGKILL"),
    ],
)
def test_a_run_killed_during_dbt_leaves_nothing_running_and_its_run_failed_with_an_audit_record(
    tmp_path: Path, local_settings: Settings, ingested_local: IngestSummary, killed: str, recorded_reason: str
) -> None:
    data_dir = tmp_path / "data"
    environment = _ingested_copy(local_settings, data_dir)
    output = tmp_path / "run.out"
    with output.open("w") as sink:
        command = subprocess.Popen(
            [LAKEHOUSE, "run", "--households", str(SAMPLE_HOUSEHOLDS)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    try:
        dbt = _dbt_build_under(command.pid, timeout_s=900)
        (worker,) = psutil.Process(command.pid).children()
        started = [process for process in worker.children(recursive=True) if os.getpgid(process.pid) == worker.pid]
        (command if killed == "command" else worker).kill()

        _, still_running = psutil.wait_procs([worker, *started], timeout=120)
        command.wait(timeout=120)

        assert dbt in started
        assert still_running == [], output.read_text()
    finally:
        subprocess.run([LAKEHOUSE, "warehouse", "stop"], env=environment, capture_output=True, check=False)
    with dg.DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        (run,) = instance.get_runs(filters=dg.RunsFilter(tags={"lakehouse/command": "run"}))
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert f"error {recorded_reason}; nothing it started is left running" in output.read_text()
    audit = subprocess.run(
        [LAKEHOUSE, "audit", "--action", "pipeline_run"], env=environment, capture_output=True, text=True, check=False
    )
    (record,) = [block for block in _audit_blocks(audit.stdout) if f"dagster run {run.run_id}" in block]
    assert record.split()[1:3] == ["pipeline_run", "failed"]
    assert recorded_reason in record
