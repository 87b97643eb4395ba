"""dbt against the platform's warehouse and lake, run by dbt's programmatic runner.

``dbt_project/profiles.yml`` reads the warehouse's address from environment
variables, so a person can run dbt by hand against any ClickHouse. The platform
does not touch its own environment for dbt: it writes the same profile with the
settings' values filled in (readable by its owner only), passes the lake as dbt
vars, and reads each node's result from dbt's events and artifacts.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from lakehouse.progress import node_progress
from lakehouse.settings import PROJECT_ROOT, Settings

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".md", ".csv"}
FAILED = {"error", "fail", "runtime error"}
PASSED = {"success", "pass"}


class DbtBuildError(RuntimeError):
    """A dbt command failed: the first failing node in one line, and where the full log is."""


def dbt_target_path(settings: Settings) -> Path:
    """Where dbt writes manifest, run results and the docs site: under the data folder, not in the repo."""
    return settings.data_dir / "dbt" / "target"


def dbt_profiles_dir(settings: Settings) -> Path:
    """A folder holding the project's profile with this platform's warehouse filled in, written on every call.

    The connection fields come from the settings; everything else (schema,
    threads, timeouts) from ``dbt_project/profiles.yml``, so the two never differ.
    """
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    address = urlsplit(settings.clickhouse_url)
    secure = address.scheme == "https"
    for output in profiles["consumer_insight"]["outputs"].values():
        output.update(
            host=address.hostname,
            port=address.port or (8443 if secure else 8123),
            secure=secure,
            user=settings.clickhouse_user,
            password=settings.clickhouse_password.get_secret_value(),
        )
    folder = settings.data_dir / "dbt" / "profile"
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, written = tempfile.mkstemp(dir=folder, prefix=".profiles-", suffix=".yml")  # mode 0600
    with os.fdopen(descriptor, "w") as handle:
        yaml.safe_dump(profiles, handle, sort_keys=False)
    Path(written).replace(folder / "profiles.yml")
    return folder


def dbt_vars(settings: Settings, **more: object) -> str:
    """The ``--vars`` of every platform dbt command: where the lake is, plus ``more`` (such as the weeks)."""
    return json.dumps({**more, "lake_uri": settings.lake_uri, "lake_named_collection": settings.lake_named_collection})


@dataclass
class DbtResult:
    """One finished node: what it is, where it is declared, how it ended and dbt's message."""

    kind: str
    name: str
    path: str
    status: str
    message: str


def _engine_message(message: str) -> str:
    """The engine's own words from a node's message: ClickHouse's exception without the client's framing."""
    first, _, _ = message.strip().partition("\n")
    if "DB::Exception:" not in message:
        return first
    engine = "DB::Exception:" + message.split("DB::Exception:", 1)[1]
    for suffix in (" (version", " (for url"):
        engine = engine.split(suffix, 1)[0]
    return engine.strip()


def failure_reason(results: Iterable[DbtResult], error: str = "") -> str:
    """dbt's first failing node and the engine's message for it, in one line; ``error`` when no node failed."""
    for result in results:
        if result.status in FAILED:
            return f"Failure in {result.kind} {result.name} ({result.path}): {_engine_message(result.message)}"
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    return ": ".join(lines[:2]) or "dbt exited with an error before running any node"


def results_of_run(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[DbtResult]:
    """The nodes of a ``run_results.json``, described from the manifest that ran them."""
    declared = {**manifest.get("nodes", {}), **manifest.get("sources", {}), **manifest.get("exposures", {})}
    results = []
    for result in run_results["results"]:
        node = declared.get(result["unique_id"], {})
        results.append(DbtResult(
            kind=node.get("resource_type", result["unique_id"].split(".")[0]),
            name=node.get("name", result["unique_id"].rsplit(".", 1)[-1]),
            path=node.get("original_file_path", ""),
            status=str(result["status"]),
            message=str(result.get("message") or ""),
        ))  # fmt: skip
    return results


@dataclass
class DbtInvocation:
    """What one dbt command did: each node's result, dbt's error if it stopped before them, and its log."""

    command: str
    success: bool
    results: list[DbtResult]
    error: str
    log: Path

    def raise_for_failure(self) -> None:
        if not self.success:
            reason = failure_reason(self.results, self.error)
            raise DbtBuildError(f"dbt {self.command} failed: {reason} (full log: {self.log})")


def _forget_databases_seen() -> None:
    """Make dbt-clickhouse check again that the profile's database exists.

    It remembers, per process and by name only, each database it has ensured;
    one process that runs dbt on a second warehouse (a test session, a command
    pointed at another server) would otherwise skip creating ``marts`` there.
    """
    from dbt.adapters.clickhouse import dbclient

    with dbclient._database_lock:
        dbclient._ensured_databases.clear()


def run_dbt(
    settings: Settings,
    *arguments: str,
    target_path: Path | None = None,
    advance: Callable[[int, int], None] | None = None,
) -> DbtInvocation:
    """``dbt <arguments>`` in this process on the platform's profile and lake; ``advance(done, total)`` per node.

    Vars given in ``arguments`` (``--vars '{from_week: 10}'``) are merged with the lake's.

    dbt's own output goes to a log under data/logs, never to the terminal.
    """
    from dbt.cli.main import dbtRunner

    command = " ".join(itertools.takewhile(lambda argument: not argument.startswith("-"), arguments))
    log_dir = settings.data_dir / "logs" / "dbt" / f"{command.replace(' ', '-')}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    log_dir.mkdir(parents=True, exist_ok=True)
    flags = [
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(dbt_profiles_dir(settings)),
        "--target-path", str(target_path or dbt_target_path(settings)),
        "--log-path", str(log_dir),
        "--log-level", "none",
        "--log-level-file", "debug",
        "--no-use-colors-file",
        "--no-send-anonymous-usage-stats",
    ]  # fmt: skip
    words = list(arguments)
    given: dict[str, Any] = {}
    if "--vars" in words:
        at = words.index("--vars")
        given = yaml.safe_load(words[at + 1]) or {}
        del words[at : at + 2]
    flags += ["--vars", dbt_vars(settings, **given)]
    finished = 0
    total = 0

    def on_event(event: Any) -> None:
        nonlocal finished, total
        if event.info.name == "LogStartLine":
            total = max(total, event.data.total)
        elif event.info.name == "NodeFinished" and advance is not None:
            finished += 1
            advance(finished, max(total, finished))

    _forget_databases_seen()
    outcome = dbtRunner(callbacks=[on_event]).invoke([*words, *flags])
    results = [
        DbtResult(
            kind=str(result.node.resource_type), name=result.node.name, path=result.node.original_file_path,
            status=str(result.status), message=str(result.message or ""),
        )
        for result in getattr(outcome.result, "results", None) or []
    ]  # fmt: skip
    error = "" if outcome.exception is None else str(outcome.exception)
    return DbtInvocation(command, outcome.success, results, error, log_dir / "dbt.log")


PARTIAL_PARSE = "partial_parse.msgpack"


def dbt_step_target(settings: Settings, name: str) -> Path:
    """A new target folder for one orchestrated dbt command, holding the parse :func:`dbt_manifest` made.

    dbt then parses only what changed since (nothing, unless the command's vars
    differ from the manifest's), instead of the whole project for every step.
    """
    target = dbt_target_path(settings) / name
    target.mkdir(parents=True)
    parsed = _manifest_dir(settings) / PARTIAL_PARSE
    if parsed.exists():
        shutil.copy2(parsed, target / PARTIAL_PARSE)
    return target


def _manifest_dir(settings: Settings) -> Path:
    return settings.data_dir / "dbt" / "dagster"


def dbt_manifest(settings: Settings) -> Path:
    """The project's ``manifest.json`` for the orchestrator, parsed again when any project file is newer.

    It lives in its own folder so that a ``dbt build`` run from the command line
    never rewrites it while Dagster reads it. Parsing needs no warehouse.
    """
    target = _manifest_dir(settings)
    manifest = target / "manifest.json"
    sources = [path for path in DBT_PROJECT_DIR.rglob("*") if path.is_file() and path.suffix in PROJECT_SUFFIXES]
    if manifest.exists() and manifest.stat().st_mtime >= max(path.stat().st_mtime for path in sources):
        return manifest
    run_dbt(settings, "parse", target_path=target).raise_for_failure()
    return manifest


@dataclass
class DbtBuild:
    """What a finished ``dbt build`` did, counted from its nodes' results."""

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
    """``dbt build`` with a progress bar over its nodes; ``DbtBuildError`` naming the first failing node."""
    with node_progress("dbt build") as advance:
        invocation = run_dbt(settings, "build", *arguments, advance=advance)
    invocation.raise_for_failure()
    statuses = [result.status for result in invocation.results]
    return DbtBuild(
        nodes=len(statuses),
        passed=sum(status in PASSED for status in statuses),
        warned=statuses.count("warn"),
        no_op=statuses.count("no-op"),
        log=invocation.log,
    )


def dbt_command(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``dbt <arguments>`` as a person types it, as a child process that prints dbt's own progress.

    The child's environment, not this process's, names the platform's profile,
    folders and lake (which ``dbt_project.yml`` reads when no ``--vars`` do).
    """
    environment = {
        **os.environ,
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(dbt_profiles_dir(settings)),
        "DBT_TARGET_PATH": str(dbt_target_path(settings)),
        "DBT_LOG_PATH": str(settings.data_dir / "logs" / "dbt"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LAKEHOUSE_LAKE_URI": settings.lake_uri,
        "LAKEHOUSE_LAKE_NAMED_COLLECTION": settings.lake_named_collection,
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    return subprocess.run([dbt, *arguments], cwd=DBT_PROJECT_DIR, env=environment, text=True, check=False)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests for the docs' assets are not news."""


def docs_server(settings: Settings, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server for the generated docs site (it fetches manifest and catalog, so a file URL will not do)."""
    handler = functools.partial(_QuietHandler, directory=str(dbt_target_path(settings)))
    return ThreadingHTTPServer((host, port), handler)
