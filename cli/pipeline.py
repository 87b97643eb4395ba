"""The pipeline commands: land the sources, ingest them, run every asset with Dagster, open the Dagster UI, upkeep."""

from __future__ import annotations

import os
import signal
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from cli.console import console
from cli.context import settings_of
from cli.failure import failure_log, failure_mode, one_line
from lakehouse.progress import stage
from lakehouse.settings import Settings

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import IO

    from lakehouse.ingest import IngestSummary

app = typer.Typer()

HouseholdsOption = Annotated[
    int | None,
    typer.Option("--households", min=1, help="Land a seeded sample of N households (the same ones in every table)."),
]
TablesOption = Annotated[
    str | None, typer.Option("--tables", help="Comma-separated tables to ingest (default: all, in dependency order).")
]
LifelineOption = Annotated[int | None, typer.Option("--lifeline", hidden=True, help="Internal: the worker's pipe.")]
UiPortOption = Annotated[int, typer.Option("--port", help="The Dagster UI's port on 127.0.0.1.")]

RUN_LOCK = "lakehouse-run.lock"
ENTRY_MODULE = "cli.main"
"""How the run re-runs itself as a worker, and what a stopped worker becomes (``python -m``)."""


@app.command()
def land(
    context: typer.Context,
    households: HouseholdsOption = None,
    force: Annotated[bool, typer.Option(help="Rewrite even if unchanged.")] = False,
) -> None:
    """Write the source feeds into landing/, split by week."""
    from lakehouse.landing.land import land_sources

    land_sources(settings_of(context), households=households, force=force)


@app.command()
def ingest(context: typer.Context, tables: TablesOption = None) -> None:
    """Bring new landing files into bronze and silver (a no-op when nothing is new)."""
    from cli.spark import spark_when_needed
    from lakehouse.ingest import ingest_all

    settings = settings_of(context)
    summary = ingest_all(spark_when_needed(settings), settings, tables.split(",") if tables else None)
    _print_ingest_totals(settings, summary)
    if summary.failed or summary.set_aside:
        _print_what_failed(summary)
        raise typer.Exit(1)


def _print_what_failed(summary: IngestSummary) -> None:
    """Each table that failed and each file set aside, one line each; the traces go to a log (raised with --debug)."""
    if failure_mode.debug and summary.failed:
        raise next(iter(summary.failed.values()))
    console.print(
        f"[bold red]error[/] ingestion incomplete: {len(summary.failed)} table(s) failed, "
        f"{len(summary.set_aside)} landing file(s) set aside; every other table and file was ingested"
    )
    for table, error in summary.failed.items():
        console.print(f"   failed: {table}: {one_line(error)}")
    for path, reason in summary.set_aside.items():
        console.print(f"   set aside: {escape(path)}: {escape(reason)}")
    if summary.failed:
        console.print(f"   details: {escape(str(failure_log(list(summary.failed.values()))))} (or rerun with --debug)")
    if summary.set_aside:
        console.print("   a set-aside file stays in landing: fix or remove it, then `lakehouse ingest` again")


def _print_ingest_totals(settings: Settings, summary: IngestSummary) -> None:
    reports = summary.tables.values()
    console.print(
        f"   lake: {sum(r.rows_in for r in reports):,} rows in, {sum(r.rows_accepted for r in reports):,} accepted, "
        f"{sum(r.rows_quarantined for r in reports):,} quarantined, {summary.rows_written:,} written"
    )
    console.print(f"   silver: {settings.lake_uri}/silver/<table>   quarantine: {settings.lake_uri}/quarantine/<table>")
    quality = settings.data_dir / "quality"
    console.print(f"   quality results: {quality} (`lakehouse quality-docs` renders GX Data Docs)")


@app.command()
def run(context: typer.Context, households: HouseholdsOption = None, lifeline: LifelineOption = None) -> None:
    """Materialise every asset once with Dagster (landing, lake, warehouse, marts) and say where to look.

    The work runs in a process group of its own that ends with this command,
    however it ends (Ctrl-C, SIGTERM, SIGKILL): no dbt or Spark is left behind.
    """
    settings = settings_of(context)
    if lifeline is None:
        raise typer.Exit(_supervise_run(settings, households))
    from lakehouse.run_group import hold_lifeline

    console_fd = context.find_root().params.get("console_fd")
    terminal = ["--console-fd", str(console_fd)] if console_fd is not None else []
    hold_lifeline(lifeline, on_cut=[sys.executable, "-m", ENTRY_MODULE, *terminal, "run-stopped"])
    _run_platform(settings, households)


@app.command("run-stopped", hidden=True)
def run_stopped(context: typer.Context) -> None:
    """What a stopped ``lakehouse run`` worker becomes: its process group ended, its run recorded as failed."""
    from lakehouse.run_group import STOP_GRACE_SECONDS, end_group

    if os.getpgrp() == os.getpid():
        end_group(os.getpgrp(), grace_seconds=STOP_GRACE_SECONDS)
    reason = "lakehouse run was stopped (Ctrl-C, SIGTERM, or its command was killed) before its run ended"
    _fail_unfinished_runs(settings_of(context), reason)
    raise typer.Exit(1)


def _run_lock(settings: Settings) -> AbstractContextManager[IO[str]]:
    """One ``lakehouse run`` per data folder: the run itself and the recording of a stopped one take it."""
    from lakehouse.dagster_ui import dagster_home
    from lakehouse.processes import single_instance

    return single_instance(dagster_home(settings) / RUN_LOCK, f"lakehouse run on {settings.data_dir}")


def _fail_unfinished_runs(settings: Settings, reason: str) -> None:
    from orchestration.materialise import fail_abandoned_runs

    with _run_lock(settings):
        failed = fail_abandoned_runs(settings, reason)
    console.print(f"[bold red]error[/] {reason}; nothing it started is left running")
    console.print(f"   Dagster run(s) marked failed, with an audit record: {', '.join(failed) or 'none had started'}")


def _supervise_run(settings: Settings, households: int | None) -> int:
    """Run ``lakehouse run`` as a group-leading worker; if the worker was killed outright, record its run failed."""
    from lakehouse.run_group import run_as_group_leader

    log = settings.data_dir / "logs" / f"run-{datetime.now(UTC):%Y%m%dT%H%M%S%f}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"   the run's full log (Spark, dbt, Dagster): {log}")
    terminal = os.dup(console.file.fileno())
    command = [sys.executable, "-m", ENTRY_MODULE, "--console-fd", str(terminal)]
    command += [*(["--debug"] if failure_mode.debug else []), "run"]
    command += ["--households", str(households)] if households else []
    try:
        with log.open("ab") as output:
            code = run_as_group_leader(command, lifeline_option="--lifeline", output=output, pass_fds=(terminal,))
    finally:
        os.close(terminal)
    if code < 0:
        _fail_unfinished_runs(settings, f"lakehouse run's worker was killed by {signal.Signals(-code).name}")
        return 1
    return code


def _run_platform(settings: Settings, households: int | None) -> None:
    from lakehouse.dagster_ui import dagster_home
    from orchestration.materialise import fail_abandoned_runs, materialise_platform

    started = time.perf_counter()
    sample = f"{households} households" if households else "all households"
    console.print(f"[bold]lakehouse run[/]: every asset, landing to marts, {sample}, weeks 1-53, in one Dagster run")
    with _run_lock(settings):
        if abandoned := fail_abandoned_runs(settings):
            console.print(f"   marked failed {len(abandoned)} run(s) an earlier lakehouse run left unfinished: "
                          f"{', '.join(abandoned)} (it was killed outright; audit records written)")  # fmt: skip
        outcome = materialise_platform(settings, households=households)
    home = dagster_home(settings)
    if not outcome.success:
        console.print(f"[bold red]error[/] {outcome.failure}")
        console.print(f"   details: Dagster run {outcome.run_id} (`lakehouse up`, then Runs; DAGSTER_HOME={home})")
        raise typer.Exit(1)
    console.print(
        f"\n[bold]done[/] in {time.perf_counter() - started:.0f}s: {outcome.materialised} assets materialised, "
        f"{outcome.checks_passed} checks passed (Dagster run {outcome.run_id})"
    )
    console.print(f"   landing:  {settings.landing_uri}  (manifest: _manifest.json)")
    console.print(
        f"   lake:     {outcome.lake_total('rows_in'):,} rows in, {outcome.lake_total('rows_accepted'):,} accepted, "
        f"{outcome.lake_total('rows_quarantined'):,} quarantined, {outcome.lake_total('rows_written'):,} written"
    )
    console.print(f"   silver: {settings.lake_uri}/silver/<table>   quarantine: {settings.lake_uri}/quarantine/<table>")
    console.print(
        f"   SQL:      {settings.clickhouse_url} as {settings.analyst_user} (read-only), e.g. "
        f"curl -u {settings.analyst_user}:<password> "
        f"'{settings.clickhouse_url}/?query=SELECT+*+FROM+category.category_performance_weekly+LIMIT+5'"
    )
    console.print(
        "   marts:    databases category, promotions, loyalty, exports; `lakehouse docs` serves their dbt docs"
    )
    console.print(
        f"   Dagster:  `lakehouse up` opens the UI on http://127.0.0.1:3000 with this run (DAGSTER_HOME={home})"
    )
    console.print("   next:     `lakehouse doctor` checks every engine; README.md says what each user does next")


@app.command()
def up(
    context: typer.Context,
    port: UiPortOption = 3000,
    api_port: Annotated[
        int | None, typer.Option("--api-port", help="The API's port on 127.0.0.1 (default: LAKEHOUSE_API_PORT).")
    ] = None,
) -> None:
    """Start the warehouse, the Dagster UI with its daemon (schedules, sensors) and the API; Ctrl-C or SIGTERM stops
    them all.

    One per data folder: a second fails at once naming the first one's process.
    """
    from lakehouse.api_process import ApiProcess
    from lakehouse.dagster_ui import DagsterUI, dagster_home
    from lakehouse.processes import interrupts_stop_this_process, single_instance
    from lakehouse.warehouse import ensure_warehouse

    settings = settings_of(context)
    ui = DagsterUI(settings, dagster_home(settings), port)
    api = ApiProcess(settings, api_port or settings.api_port, starts_warehouse=False)
    interrupts_stop_this_process()
    with ExitStack() as started:
        try:
            lock = started.enter_context(
                single_instance(ui.home / "lakehouse-up.lock", f"lakehouse up on {settings.data_dir}")
            )
            warehouse = ensure_warehouse(settings)
            if warehouse is None:
                console.print(
                    f"ok the warehouse already answers at {settings.clickhouse_url}; it stays up after Ctrl-C"
                )
            else:
                started.callback(warehouse.stop)
            started.callback(ui.stop)
            with stage(f"starting Dagster (dagster dev) on {ui.url}") as report:
                ui.start(lock)
                report.notes.append(f"DAGSTER_HOME {ui.home}; log {ui.log_path}")
            started.callback(api.stop)
            with stage(f"starting the API on {api.url}") as report:
                api.start()
                report.notes.append(f"log {api.log_path}; tokens: `lakehouse api token --help`")
            console.print(f"[bold]Dagster UI[/]: {ui.url}  (asset graph: {ui.url}/asset-groups, runs: {ui.url}/runs)")
            console.print(f"[bold]API[/]: {api.url}/docs  (readiness: {api.url}/readyz)")
            console.print("   Ctrl-C stops Dagster, the API and the warehouse this command started")
            ui.wait()
        except KeyboardInterrupt:
            _ignore_interrupts()
            console.print("stopping the API, Dagster and the warehouse ...")
        except Exception:
            _ignore_interrupts()  # what it started is stopped on the way out; the failure is reported above
            raise
    console.print("ok stopped")


def _ignore_interrupts() -> None:
    """While `up` stops what it started (Dagster, then the warehouse), a second Ctrl-C cannot cut it short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@app.command()
def upkeep(context: typer.Context) -> None:
    """Compact every silver table and vacuum files older than the retention setting."""
    from lakehouse.ingest import lake_layout
    from spark_jobs.delta_io import table_exists
    from spark_jobs.session import build_spark_session
    from spark_jobs.tables import TABLES
    from spark_jobs.upkeep import compact, vacuum

    settings = settings_of(context)
    spark = build_spark_session(settings)
    layout = lake_layout(settings)
    for table in TABLES:
        path = layout.silver(table)
        if not table_exists(spark, path):
            continue
        with stage(f"compacting and vacuuming silver {table}") as report:
            report.notes.append(f"{compact(spark, path)} small files compacted")
            vacuum(spark, path, settings.lake_retention_hours)
