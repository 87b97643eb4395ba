"""The ``lakehouse`` command: run the platform, check the machine, land the sources.

A failure prints one line (what, where, the rule) and the log file that holds
the details; ``--debug`` shows the stack trace instead.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from lakehouse.cli_failure import fail, failure_log, failure_mode, one_line
from lakehouse.compliance_cli import audit, erase, pii_scan
from lakehouse.doctor import run_checks
from lakehouse.progress import console, stage
from lakehouse.settings import get_settings

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import IO

    from lakehouse.ingest import IngestSummary
    from lakehouse.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

HouseholdsOption = Annotated[
    int | None,
    typer.Option("--households", min=1, help="Land a seeded sample of N households (the same ones in every table)."),
]


@app.callback()
def main(debug: Annotated[bool, typer.Option("--debug", help="Show stack traces on failure.")] = False) -> None:
    failure_mode.debug = debug


@app.command()
def land(
    households: HouseholdsOption = None, force: bool = typer.Option(False, help="Rewrite even if unchanged.")
) -> None:
    """Write the source feeds into landing/, split by week."""
    from lakehouse.landing.land import land_sources

    try:
        land_sources(get_settings(), households=households, force=force)
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        fail(error)


TablesOption = Annotated[
    str | None, typer.Option("--tables", help="Comma-separated tables to ingest (default: all, in dependency order).")
]


def _ingest(tables: str | None) -> IngestSummary:
    from lakehouse.ingest import ingest_all
    from spark_jobs.session import build_spark_session

    settings = get_settings()
    with stage("starting Spark with Delta") as report:
        spark = build_spark_session(settings)
        report.notes.append(f"master {settings.spark_master}, lake {settings.lake_uri}")
    return ingest_all(spark, settings, tables.split(",") if tables else None)


@app.command()
def ingest(tables: TablesOption = None) -> None:
    """Bring new landing files into bronze and silver (a no-op when nothing is new)."""
    try:
        summary = _ingest(tables)
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        fail(error)
    _print_ingest_totals(summary)
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


def _print_ingest_totals(summary: IngestSummary) -> None:
    settings = get_settings()
    reports = summary.tables.values()
    console.print(
        f"   lake: {sum(r.rows_in for r in reports):,} rows in, {sum(r.rows_accepted for r in reports):,} accepted, "
        f"{sum(r.rows_quarantined for r in reports):,} quarantined, {summary.rows_written:,} written"
    )
    console.print(f"   silver: {settings.lake_uri}/silver/<table>   quarantine: {settings.lake_uri}/quarantine/<table>")
    quality = settings.data_dir / "quality"
    console.print(f"   quality results: {quality} (`lakehouse quality-docs` renders GX Data Docs)")


RUN_LOCK = "lakehouse-run.lock"
LifelineOption = Annotated[int | None, typer.Option("--lifeline", hidden=True, help="Internal: the worker's pipe.")]


@app.command()
def run(households: HouseholdsOption = None, lifeline: LifelineOption = None) -> None:
    """Materialise every asset once with Dagster (landing, lake, warehouse, marts) and say where to look.

    The work runs in a process group of its own that ends with this command,
    however it ends (Ctrl-C, SIGTERM, SIGKILL): no dbt or Spark is left behind.
    """
    if lifeline is None:
        raise typer.Exit(_supervise_run(households))
    from lakehouse.run_group import hold_lifeline

    hold_lifeline(lifeline, on_cut=[sys.executable, "-m", "lakehouse.cli", "run-stopped"])
    _run_platform(households)


@app.command("run-stopped", hidden=True)
def run_stopped() -> None:
    """What a stopped ``lakehouse run`` worker becomes: its process group ended, its run recorded as failed."""
    from lakehouse.run_group import STOP_GRACE_SECONDS, end_group

    if os.getpgrp() == os.getpid():
        end_group(os.getpgrp(), grace_seconds=STOP_GRACE_SECONDS)
    _fail_unfinished_runs("lakehouse run was stopped (Ctrl-C, SIGTERM, or its command was killed) before its run ended")
    raise typer.Exit(1)


def _run_lock(settings: Settings) -> AbstractContextManager[IO[str]]:
    """One ``lakehouse run`` per data folder: the run itself and the recording of a stopped one take it."""
    from lakehouse.dagster_ui import dagster_home
    from lakehouse.processes import single_instance

    return single_instance(dagster_home(settings) / RUN_LOCK, f"lakehouse run on {settings.data_dir}")


def _fail_unfinished_runs(reason: str) -> None:
    from orchestration.materialise import fail_abandoned_runs

    settings = get_settings()
    with _run_lock(settings):
        failed = fail_abandoned_runs(settings, reason)
    console.print(f"[bold red]error[/] {reason}; nothing it started is left running")
    console.print(f"   Dagster run(s) marked failed, with an audit record: {', '.join(failed) or 'none had started'}")


def _supervise_run(households: int | None) -> int:
    """Run ``lakehouse run`` as a group-leading worker; if the worker was killed outright, record its run failed."""
    from lakehouse.run_group import run_as_group_leader

    command = [sys.executable, "-m", "lakehouse.cli", *(["--debug"] if failure_mode.debug else []), "run"]
    command += ["--households", str(households)] if households else []
    code = run_as_group_leader(command, lifeline_option="--lifeline")
    if code < 0:
        _fail_unfinished_runs(f"lakehouse run's worker was killed by {signal.Signals(-code).name}")
        return 1
    return code


def _run_platform(households: int | None) -> None:
    from lakehouse.dagster_ui import dagster_home
    from orchestration.materialise import fail_abandoned_runs, materialise_platform

    settings = get_settings()
    started = time.perf_counter()
    sample = f"{households} households" if households else "all households"
    console.print(f"[bold]lakehouse run[/]: every asset, landing to marts, {sample}, weeks 1-53, in one Dagster run")
    try:
        with _run_lock(settings):
            if abandoned := fail_abandoned_runs(settings):
                console.print(f"   marked failed {len(abandoned)} run(s) an earlier lakehouse run left unfinished: "
                              f"{', '.join(abandoned)} (it was killed outright; audit records written)")  # fmt: skip
            outcome = materialise_platform(settings, households=households)
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        fail(error)
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


UiPortOption = Annotated[int, typer.Option("--port", help="The Dagster UI's port on 127.0.0.1.")]


@app.command()
def up(port: UiPortOption = 3000) -> None:
    """Start the warehouse and the Dagster UI with its daemon (schedules, sensors); Ctrl-C or SIGTERM stops both.

    One per data folder: a second fails at once naming the first one's process.
    """
    from lakehouse.dagster_ui import DagsterUI, dagster_home
    from lakehouse.processes import interrupts_stop_this_process, single_instance
    from lakehouse.warehouse import ensure_warehouse

    settings = get_settings()
    ui = DagsterUI(settings, dagster_home(settings), port)
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
            console.print(f"[bold]Dagster UI[/]: {ui.url}  (asset graph: {ui.url}/asset-groups, runs: {ui.url}/runs)")
            console.print("   Ctrl-C stops Dagster and the warehouse this command started")
            ui.wait()
        except KeyboardInterrupt:
            _ignore_interrupts()
            console.print("stopping Dagster and the warehouse ...")
        except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
            _ignore_interrupts()
            started.close()
            fail(error)
    console.print("ok stopped")


def _ignore_interrupts() -> None:
    """While `up` stops what it started (Dagster, then the warehouse), a second Ctrl-C cannot cut it short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(context: typer.Context) -> None:
    """Run dbt in dbt_project/ against the platform's warehouse and lake, e.g. `lakehouse dbt build -s marts`."""
    from lakehouse.dbt import dbt_command

    raise typer.Exit(dbt_command(get_settings(), *context.args).returncode)


@app.command()
def docs(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to serve the docs on.")] = 8080,
    serve: Annotated[bool, typer.Option(help="Serve the site after building it.")] = True,
) -> None:
    """Build the dbt docs (every model and column, lineage, PII classification) and serve them locally."""
    from lakehouse.dbt import dbt_command, dbt_target_path, docs_server, failure_reason

    settings = get_settings()
    with stage("generating dbt docs (dbt docs generate)") as report:
        generated = dbt_command(settings, "docs", "generate", capture=True)
        if generated.returncode != 0:
            fail(RuntimeError(f"dbt docs generate failed: {failure_reason(generated.stdout.splitlines())}"))
        report.notes.append(f"site: {dbt_target_path(settings) / 'index.html'}")
    if not serve:
        return
    from lakehouse.processes import interrupts_stop_this_process

    interrupts_stop_this_process()
    with docs_server(settings, port) as server:
        console.print(f"serving dbt docs on http://127.0.0.1:{port} (Ctrl-C stops it)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.print("stopped")


@app.command("dbt-classify")
def dbt_classify(
    check: Annotated[bool, typer.Option(help="Only report differences; exit 1 if there are any.")] = False,
) -> None:
    """Write the PII policy's classification into dbt column meta (sources and models), or check it is there."""
    from governance.policy import default_policy
    from lakehouse.dbt import DBT_PROJECT_DIR
    from lakehouse.dbt_classification import sync_classification

    sync = sync_classification(DBT_PROJECT_DIR, default_policy(), write=not check)
    for difference in sync.differences:
        console.print(f"   {difference}", markup=False)
    if check and sync.differences:
        console.print(
            f"[bold red]FAIL[/] {len(sync.differences)} columns differ from the policy; run `lakehouse dbt-classify`"
        )
        raise typer.Exit(1)
    version = default_policy().version
    console.print(f"ok dbt column meta matches policy version {version} ({len(sync.files_changed)} files rewritten)")


@app.command("quality-docs")
def quality_docs() -> None:
    """Render GX Data Docs from every kept validation result and print where the page is."""
    from spark_jobs.quality import build_data_docs

    index = build_data_docs(get_settings().data_dir / "quality")
    console.print(f"ok GX Data Docs: {index}")


@app.command()
def upkeep() -> None:
    """Compact every silver table and vacuum files older than the retention setting."""
    from lakehouse.ingest import lake_layout
    from spark_jobs.delta_io import table_exists
    from spark_jobs.session import build_spark_session
    from spark_jobs.tables import TABLES
    from spark_jobs.upkeep import compact, vacuum

    settings = get_settings()
    spark = build_spark_session(settings)
    layout = lake_layout(settings)
    for table in TABLES:
        path = layout.silver(table)
        if not table_exists(spark, path):
            continue
        with stage(f"compacting and vacuuming silver {table}") as report:
            report.notes.append(f"{compact(spark, path)} small files compacted")
            vacuum(spark, path, settings.lake_retention_hours)


@app.command("pii-eval")
def pii_eval(
    size: Annotated[int, typer.Option(min=10, help="Synthetic feedback texts, and as many identifier texts.")] = 400,
) -> None:
    """Score Presidio on the labelled feedback set: precision and recall per entity type, against targets."""
    from governance.evaluation import PRECISION_TARGET, RECALL_TARGETS, score_detection
    from governance.masking import text_masker
    from lakehouse.pii_evaluation import evaluation_set

    settings = get_settings()
    scope = f"{size} feedback texts, {size} identifier texts and the hand-written set"
    with stage(f"scoring PII detection ({settings.presidio_model}) on {scope}") as report:
        samples = evaluation_set(size)
        result = score_detection(samples, text_masker(settings.presidio_model).analyse)
        report.add(rows=len(samples))
    console.print(f"{'entity':<15} {'labelled':>8} {'found':>6} {'false+':>6} {'precision':>9} {'recall':>7}  target")
    for entity, score in result.per_entity.items():
        labelled = score.true_positives + score.false_negatives
        target = f"recall >= {RECALL_TARGETS[entity]}" if entity in RECALL_TARGETS else ""
        console.print(
            f"{entity:<15} {labelled:>8} {score.true_positives:>6} {score.false_positives:>6} "
            f"{score.precision:>9.3f} {score.recall:>7.3f}  {target}"
        )
    console.print(
        f"{'overall':<15} {'':>8} {result.overall.true_positives:>6} {result.overall.false_positives:>6} "
        f"{result.overall.precision:>9.3f} {result.overall.recall:>7.3f}  precision >= {PRECISION_TARGET}"
    )
    if failures := result.failures():
        console.print(f"[bold red]below target[/] {'; '.join(failures)}")
        raise typer.Exit(1)
    console.print("[bold green]all targets met[/]")


@app.command("policy-export")
def policy_export(
    output: Annotated[Path | None, typer.Option(help="Write the JSON here instead of printing it.")] = None,
) -> None:
    """Per silver table and column: classification, treatment and whether it is a pseudonymous token."""
    from governance.policy import default_policy

    document = json.dumps(default_policy().column_classification(), indent=2)
    if output is None:
        console.print(document, markup=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(document + "\n")
    console.print(f"ok wrote {output}")


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


app.command()(erase)
app.command()(audit)
app.command("pii-scan")(pii_scan)

warehouse_app = typer.Typer(
    no_args_is_help=True, help="The embedded ClickHouse warehouse (chDB over the HTTP interface)."
)
app.add_typer(warehouse_app, name="warehouse")

PortOption = Annotated[int | None, typer.Option("--port", help="Port on the loopback (default: CLICKHOUSE_URL's).")]


@warehouse_app.command("serve")
def warehouse_serve(
    port: PortOption = None,
    data_path: Annotated[
        Path | None, typer.Option("--data-path", help="chDB data folder (default from settings).")
    ] = None,
) -> None:
    """Serve the warehouse in the foreground until Ctrl-C or SIGTERM."""
    import logging

    from lakehouse.warehouse import warehouse_config
    from warehouse.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        serve(warehouse_config(get_settings(), port=port, data_path=data_path))
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        fail(error)


@warehouse_app.command("start")
def warehouse_start(port: PortOption = None) -> None:
    """Start the warehouse in the background (if it is not already serving) and wait until it answers."""
    from lakehouse.warehouse import WarehouseProcess, is_serving

    settings = get_settings()
    process = WarehouseProcess(settings, port=port)
    if is_serving(process.url):
        console.print(f"ok the warehouse already answers at {process.url}")
        return
    with stage(f"starting the warehouse on {process.url}"):
        try:
            process.start()
        except Exception as error:  # noqa: BLE001
            fail(error)
    console.print(f"   data: {settings.warehouse_data_path}   log: {settings.data_dir / 'logs' / 'warehouse.log'}")
    console.print("   stop: `lakehouse warehouse stop`")


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the warehouse serving this data path (SIGTERM, then wait for a clean exit)."""
    from lakehouse.warehouse import stop_serving

    settings = get_settings()
    assert settings.warehouse_data_path is not None
    try:
        pid = stop_serving(settings.warehouse_data_path)
    except Exception as error:  # noqa: BLE001
        fail(error)
    console.print(f"ok stopped warehouse process {pid}" if pid else "ok no warehouse was running")


if __name__ == "__main__":
    app(prog_name="lakehouse")
