"""How the command line fails: one line for the person, the stack trace in a log (on screen with ``--debug``)."""

from __future__ import annotations

import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from rich.markup import escape

from cli.console import console
from lakehouse.settings import get_settings


class FailureMode:
    debug = False


failure_mode = FailureMode()


def failure_log(errors: list[Exception]) -> Path:
    """Write the full traces of ``errors`` to a new log file under the data folder; returns its path."""
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"lakehouse-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    log.write_text("\n".join("".join(traceback.format_exception(error)) for error in errors))
    return log


JVM_CALL_PREAMBLE = "An error occurred while calling"
"""How py4j opens a Java exception's text; the line after it says what went wrong."""


def one_line(error: Exception) -> str:
    """The line that says what went wrong, escaped so brackets (``[/127.0.0.1]``) print as written, never as markup."""
    lines = [line.strip().removeprefix(": ") for line in str(error).strip().splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(JVM_CALL_PREAMBLE)]
    return escape(meaningful[0] if meaningful else type(error).__name__)


def spark_stopped() -> str | None:
    """Why this process's Spark JVM died, when the command used Spark; a call into a dead JVM says only "refused"."""
    if "pyspark" not in sys.modules:
        return None
    from spark_jobs.session import stopped_jvm

    return stopped_jvm(get_settings())


def failure_line(error: Exception) -> str:
    """The one line a failure prints: why Spark's JVM died when it did, else the error's own first line."""
    reason = spark_stopped()
    return escape(reason) if reason is not None else one_line(error)


def report_failure(error: Exception) -> None:
    """One line for the person and where the full trace is; with --debug, the trace itself on the console."""
    if failure_mode.debug:
        console.print("".join(traceback.format_exception(error)), markup=False, end="")
        return
    log = failure_log([error])
    console.print(f"[bold red]error[/] {failure_line(error)}")
    console.print(f"   details: {escape(str(log))} (or rerun with --debug)")
