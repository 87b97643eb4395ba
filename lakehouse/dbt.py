"""dbt against the platform's warehouse: the environment the project reads, and dbt as a child process.

``dbt_project/profiles.yml`` and its ``lake_delta`` macro read only environment
variables, so the same project runs on the embedded warehouse and on a ClickHouse
cluster; this module fills them from the settings.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lakehouse.progress import node_progress
from lakehouse.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".md", ".csv"}


def dbt_target_path(settings: Settings) -> Path:
    """Where dbt writes manifest, run results and the docs site: under the data folder, not in the repo."""
    return settings.data_dir / "dbt" / "target"


def dbt_manifest(settings: Settings) -> Path:
    """The project's ``manifest.json`` for the orchestrator, parsed again when any project file is newer.

    It lives in its own folder so that a ``dbt build`` run from the command line
    never rewrites it while Dagster reads it. Parsing needs no warehouse.
    """
    target = settings.data_dir / "dbt" / "dagster"
    manifest = target / "manifest.json"
    sources = [path for path in DBT_PROJECT_DIR.rglob("*") if path.is_file() and path.suffix in PROJECT_SUFFIXES]
    if manifest.exists() and manifest.stat().st_mtime >= max(path.stat().st_mtime for path in sources):
        return manifest
    parsed = dbt_command(settings, "parse", "--target-path", str(target), capture=True)
    if parsed.returncode != 0:
        reason = failure_reason(parsed.stdout.splitlines())
        raise DbtBuildError(f"dbt parse failed: {reason} (project {DBT_PROJECT_DIR})")
    return manifest


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The variables ``profiles.yml`` and the project's macros read, from the settings."""
    return {
        "CLICKHOUSE_URL": settings.clickhouse_url,
        "CLICKHOUSE_USER": settings.clickhouse_user,
        "CLICKHOUSE_PASSWORD": settings.clickhouse_password.get_secret_value(),
        "LAKEHOUSE_LAKE_URI": settings.lake_uri,
        "LAKEHOUSE_LAKE_NAMED_COLLECTION": settings.lake_named_collection,
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(dbt_target_path(settings)),
        "DBT_LOG_PATH": str(settings.data_dir / "logs" / "dbt"),
        "DBT_PACKAGES_INSTALL_PATH": str(settings.data_dir / "dbt" / "packages"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
    }


def _dbt_invocation(settings: Settings, arguments: tuple[str, ...]) -> dict[str, Any]:
    """What every dbt child process gets: the venv's dbt, the project folder and the platform's environment."""
    return {
        "args": [str(Path(sys.executable).with_name("dbt")), *arguments],
        "cwd": DBT_PROJECT_DIR,
        "env": {**os.environ, **dbt_environment(settings)},
        "text": True,
    }


def dbt_command(settings: Settings, *arguments: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``dbt <arguments>`` in the project with the platform's environment; dbt prints its own progress."""
    return subprocess.run(**_dbt_invocation(settings, arguments), capture_output=capture, check=False)


NODE_DONE = re.compile(r"^\S+\s+(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b")
FAILURE = re.compile(r"^(?:\d\d:\d\d:\d\d\s+)?((?:Failure|\w+ Error|Error) in .*)$")
FAILURE_DETAIL = re.compile(r"(DB::Exception: .*?)(?: \(version|\(for url|$)|(Got \d+ results?.*)$")


def failure_reason(output: Iterable[str]) -> str:
    """dbt's first failing node and the engine's message for it, in one line, from dbt's output."""
    failure: list[str] = []
    after_encountered = ""
    lines = iter(output)
    for line in lines:
        if not failure and (failed := FAILURE.match(line.rstrip())):
            failure.append(failed[1])
        elif failure and (detail := FAILURE_DETAIL.search(line.strip())):
            failure.append((detail[1] or detail[2]).strip())
            break
        elif line.rstrip().endswith("Encountered an error:") and not after_encountered:
            after_encountered = next(lines, "").strip()
            if failed := FAILURE.match(after_encountered):
                failure.append(failed[1])
    return ": ".join(failure) or after_encountered or "dbt exited with an error before running any node"


class DbtBuildError(RuntimeError):
    """``dbt build`` failed: the first failing node in one line, and where the full output is."""


@dataclass
class DbtBuild:
    """What a finished ``dbt build`` did, counted from its per-node result lines."""

    nodes: int = 0
    passed: int = 0
    warned: int = 0
    no_op: int = 0
    """Nodes with nothing to run, such as exposures."""
    log: Path = field(default_factory=Path)

    @property
    def all_passed(self) -> bool:
        return self.nodes > 0 and self.passed + self.no_op == self.nodes


def build_marts(settings: Settings, *arguments: str) -> DbtBuild:
    """``dbt build`` with a progress bar over its nodes; the full output goes to a log under data/logs."""
    log = settings.data_dir / "logs" / f"dbt-build-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    build = DbtBuild(log=log)
    with (
        log.open("w") as output,
        subprocess.Popen(
            **_dbt_invocation(settings, ("build", *arguments)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as process,
        node_progress("dbt build") as advance,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            output.write(line)
            if done := NODE_DONE.match(line):
                build.nodes = int(done[2])
                build.passed += done[3] in ("OK", "PASS")
                build.warned += done[3] == "WARN"
                build.no_op += done[3] == "NO-OP"
                advance(int(done[1]), build.nodes)
    if process.returncode != 0:
        with log.open() as output_again:
            raise DbtBuildError(f"dbt build failed: {failure_reason(output_again)} (full output: {log})")
    return build


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests for the docs' assets are not news."""


def docs_server(settings: Settings, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the generated docs site (it fetches manifest and catalog, so a file URL will not do)."""
    handler = functools.partial(_QuietHandler, directory=str(dbt_target_path(settings)))
    return ThreadingHTTPServer((host, port), handler)
