"""The ``lakehouse`` command: run the platform, check the machine, land the sources.

A failure prints one line (what, where, the rule) and the log file that holds
the details; ``--debug`` shows the stack trace instead.
"""

from __future__ import annotations

import time
import traceback
from datetime import UTC, datetime
from typing import Annotated

import typer

from lakehouse.doctor import run_checks
from lakehouse.progress import console
from lakehouse.settings import get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

HouseholdsOption = Annotated[
    int | None,
    typer.Option("--households", min=1, help="Land a seeded sample of N households (the same ones in every table)."),
]


class _State:
    debug = False


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show stack traces on failure.")] = False) -> None:
    _State.debug = debug


def _fail(error: Exception) -> None:
    """One line for the person, the full trace in the log (or on screen with --debug)."""
    if _State.debug:
        raise error
    logs = get_settings().data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"lakehouse-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log.write_text("".join(traceback.format_exception(error)))
    console.print(f"[bold red]error[/] {error}")
    console.print(f"   details: {log} (or rerun with --debug)")
    raise typer.Exit(1)


@app.command()
def land(
    households: HouseholdsOption = None, force: bool = typer.Option(False, help="Rewrite even if unchanged.")
) -> None:
    """Write the source feeds into landing/, split by week."""
    from lakehouse.landing.land import land_sources

    try:
        land_sources(get_settings(), households=households, force=force)
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        _fail(error)


@app.command()
def run(households: HouseholdsOption = None) -> None:
    """Run the platform's main job on the configured engines and say where to look."""
    from lakehouse.landing.land import land_sources

    settings = get_settings()
    started = time.perf_counter()
    try:
        manifest = land_sources(settings, households=households)
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        _fail(error)
    console.print(
        f"\n[bold]done[/] in {time.perf_counter() - started:.0f}s: "
        f"{sum(manifest.files.values()):,} rows in {len(manifest.files)} landing files"
    )
    console.print(f"   landing:  {settings.landing_uri}  (manifest: _manifest.json)")
    console.print("   next:     `lakehouse doctor` checks every engine; README.md says what each user does next")


@app.command()
def doctor() -> None:
    """Check Java, the Spark jars, MinIO, the warehouse, the lake, the landing and the spaCy model."""
    checks = run_checks(get_settings())
    for check in checks:
        mark = "[bold green]ok  [/]" if check.ok else "[bold red]FAIL[/]"
        console.print(f"{mark} {check.name:<12} {check.detail}")
        if not check.ok:
            console.print(f"     fix: {check.fix}")
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
