"""The ``lakehouse`` command: run the platform, check the machine, land the sources.

A failure prints one line (what, where, the rule) and the log file that holds
the details; ``--debug`` shows the stack trace instead.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cli import api, compliance, docs, models, pipeline, quality, warehouse_server
from cli.console import configure_logging, console, use_console_fd
from cli.context import settings_of
from cli.failure import failure_mode, report_failure
from lakehouse.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
for group in (pipeline, compliance, quality, docs):
    app.add_typer(group.app)
app.add_typer(warehouse_server.app, name="warehouse")
app.add_typer(models.app, name="models")
app.add_typer(api.app, name="api")


@app.callback()
def main(
    context: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show stack traces on failure.")] = False,
    console_fd: Annotated[int | None, typer.Option(hidden=True, help="Draw on this descriptor; log to stderr.")] = None,
) -> None:
    failure_mode.debug = debug
    if console_fd is not None:
        use_console_fd(console_fd)
    settings = get_settings()
    configure_logging(settings.data_dir, log_to_stderr=console_fd is not None)
    context.obj = settings


@app.command()
def doctor(context: typer.Context) -> None:
    """Check Java, the Spark jars, MinIO, the warehouse, the lake, the landing and the spaCy model."""
    from lakehouse.doctor import run_checks

    checks = run_checks(settings_of(context))
    for check in checks:
        mark = "[bold green]ok  [/]" if check.ok else "[bold red]FAIL[/]"
        console.print(f"{mark} {check.name:<12} {check.detail}")
        if not check.ok:
            console.print(f"     fix: {check.fix}")
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


def lakehouse() -> None:
    """The console script: every failure a command does not handle itself reaches the person as one line."""
    try:
        app(prog_name="lakehouse")
    except Exception as error:  # noqa: BLE001 - the one place a failure becomes its line and exit code
        report_failure(error)
        raise SystemExit(1) from None


if __name__ == "__main__":
    lakehouse()
