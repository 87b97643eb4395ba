"""How the command line fails: one line for the person, the stack trace in a log (on screen with ``--debug``)."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime
from typing import NoReturn

import typer

from lakehouse.progress import console
from lakehouse.settings import get_settings


class FailureMode:
    debug = False


failure_mode = FailureMode()


def fail(error: Exception) -> NoReturn:
    """One line for the person, the full trace in the log (or on screen with --debug)."""
    if failure_mode.debug:
        raise error
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"lakehouse-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log.write_text("".join(traceback.format_exception(error)))
    console.print(f"[bold red]error[/] {error}")
    console.print(f"   details: {log} (or rerun with --debug)")
    raise typer.Exit(1)
