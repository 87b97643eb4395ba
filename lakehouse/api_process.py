"""``lakehouse api`` as a child process, beside the Dagster UI under ``lakehouse up``."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.child_server import start_child, stop_child
from lakehouse.processes import answers
from lakehouse.settings import PROJECT_ROOT, Settings


@dataclass
class ApiProcess:
    settings: Settings
    port: int
    starts_warehouse: bool = True
    """Whether ``lakehouse api`` may start the embedded warehouse when none answers as it starts.

    False under ``lakehouse up``, which owns the warehouse: a warehouse the API started would outlive up's Ctrl-C.
    """
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.settings.api_host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.settings.data_dir / "logs" / "api.log"

    def start(self, timeout_s: float = 60.0, ready_path: str = "/healthz") -> ApiProcess:
        """Start the API and wait until ``ready_path`` answers 200.

        ``/healthz`` answers once the process serves, while the scores may
        still be loading; ``/readyz`` once the warehouse answered and the scores are loaded.
        """
        self.process = start_child(
            f"the API at {self.url}",
            [str(Path(sys.executable).with_name("lakehouse")), "api", "--port", str(self.port)]
            + ([] if self.starts_warehouse else ["--no-start-warehouse"]),
            ready=lambda: answers(f"{self.url}{ready_path}", timeout_s=2.0),
            log_path=self.log_path,
            timeout_s=timeout_s,
            environment={**os.environ, **self.settings.as_environment()},
            cwd=PROJECT_ROOT,
        )
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_child(process, grace_s=15.0)
