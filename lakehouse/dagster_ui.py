"""``dagster dev`` for the code location: UI and daemon on loopback, its home under the data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lakehouse.child_server import start_child, stop_child
from lakehouse.processes import answers
from lakehouse.settings import PROJECT_ROOT, Settings

WORKSPACE = PROJECT_ROOT / "workspace.yaml"

INSTANCE_HEADER = "# Written by lakehouse: this instance keeps its runs, logs and schedules under the data folder."
INSTANCE_CONFIG = f"""\
{INSTANCE_HEADER}
telemetry:
  enabled: false
# No first-visit pop-up in the UI: operators open it to work.
nux:
  enabled: false
# The platform's own log records (stages with counts, warnings) become log lines of the step that wrote them.
python_logs:
  managed_python_loggers: [lakehouse, spark_jobs, governance, warehouse]
  python_log_level: INFO
# One run at a time: runs share the lake's Delta tables and, on 2 cores, one Spark JVM is enough.
concurrency:
  runs:
    max_concurrent_runs: 1
"""


def dagster_home(settings: Settings) -> Path:
    """The instance folder (runs, event logs, schedules), with the platform's configuration.

    A configuration lakehouse wrote is brought up to date; one an operator wrote
    (a Postgres instance, say) is left alone.
    """
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or (
        config.read_text().startswith(INSTANCE_HEADER) and config.read_text() != INSTANCE_CONFIG
    ):
        config.write_text(INSTANCE_CONFIG)
    return home


@dataclass
class DagsterUI:
    """The webserver, the daemon (schedules, sensors) and the code server, as one child process group."""

    settings: Settings
    home: Path
    port: int = 3000
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.settings.data_dir / "logs" / "dagster-dev.log"

    def start(self, lock: IO[str] | None = None, timeout_s: float = 180.0) -> DagsterUI:
        """Start ``dagster dev`` and wait until the webserver answers; the code location may still be loading.

        ``dagster dev`` inherits ``lock`` (the data folder's), so the folder stays taken while it lives.
        """
        command = [str(Path(sys.executable).with_name("dagster")), "dev", "-w", str(WORKSPACE)]
        command += ["-h", "127.0.0.1", "-p", str(self.port)]
        self.process = start_child(
            f"the Dagster UI at {self.url}",
            command,
            ready=lambda: answers(f"{self.url}/server_info", timeout_s=1.0),
            log_path=self.log_path,
            timeout_s=timeout_s,
            environment={**os.environ, **self.settings.as_environment(), "DAGSTER_HOME": str(self.home)},
            cwd=PROJECT_ROOT,
            pass_fds=(lock.fileno(),) if lock is not None else (),
        )
        return self

    def wait(self) -> None:
        """Until Ctrl-C; ``dagster dev`` ending by itself is a failure, named with its log's last line."""
        assert self.process is not None
        code = self.process.wait()
        last = self.log_path.read_text().strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"dagster dev exited by itself with code {code}: {last[0]} (log: {self.log_path})")

    def stop(self, timeout_s: float = 60.0) -> None:
        """SIGINT, as Ctrl-C would: ``dagster dev`` stops its webserver, daemon and code server, then exits.

        Run workers and their Spark JVMs outlive ``dagster dev``; what is left of its group is ended after it.
        """
        process, self.process = self.process, None
        stop_child(process, grace_s=timeout_s, stop_signal=signal.SIGINT)
