"""The compliance commands: erasure, the audit trail, the PII scan, PII detection scores, the policy export."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from cli.console import console
from cli.context import settings_of
from lakehouse.progress import stage

app = typer.Typer()


@app.command()
def erase(
    context: typer.Context,
    household: Annotated[
        list[int] | None, typer.Option("--household", min=1, help="A household to erase (repeat for more).")
    ] = None,
    requests: Annotated[
        Path | None, typer.Option("--requests", help="CSV of requests: household_id[,reference] per line.")
    ] = None,
    requested_by: Annotated[
        str | None, typer.Option("--by", help="Who asked for it, for the receipt (default: this user).")
    ] = None,
    reference: Annotated[str, typer.Option(help="The ticket or letter the request came with.")] = "",
) -> None:
    """Erase households from landing, bronze, silver (with their Delta history), quarantine, training datasets,
    model scores and the marts."""
    from cli.spark import spark_when_needed
    from governance.erasure import ErasureRequest, read_erasure_requests
    from lakehouse.erasure import erase_households
    from lakehouse.warehouse import ensure_warehouse

    settings = settings_of(context)
    started = time.perf_counter()
    asked = [ErasureRequest(number, reference) for number in household or []]
    if requests is not None:
        asked.extend(read_erasure_requests(requests))
    if not asked:
        raise typer.BadParameter("name a household with --household ID or a file with --requests FILE")
    started_warehouse = ensure_warehouse(settings)
    try:
        outcomes = erase_households(spark_when_needed(settings), settings, asked, requested_by)
    finally:
        if started_warehouse is not None:
            started_warehouse.stop()
    unknown = []
    for outcome in outcomes:
        if outcome.status == "erased" and outcome.receipt is not None:
            zones = ", ".join(f"{zone} {rows:,}" for zone, rows in outcome.receipt.rows_by_zone().items())
            removed = f"rows removed: {zones}" if zones else "an earlier, interrupted erasure had removed every row"
            console.print(f"[bold green]erased[/] household {outcome.household_id}: {removed}")
            console.print(f"   receipt: {outcome.receipt_file}")
        elif outcome.status == "already_erased" and outcome.receipt is not None:
            console.print(
                f"ok household {outcome.household_id} was already erased on {outcome.receipt.finished_at} "
                f"(request {outcome.receipt.request_id}); nothing of it is left anywhere"
            )
        else:
            unknown.append(outcome.household_id)
            console.print(
                f"[bold red]unknown[/] household {outcome.household_id}: in no landing file, lake table or mart, "
                "and never erased; nothing was changed for it"
            )
    console.print(f"done in {time.perf_counter() - started:.0f}s; `lakehouse audit` lists the erasures")
    if unknown:
        raise typer.Exit(1)


@app.command()
def audit(
    context: typer.Context,
    action: Annotated[
        str | None, typer.Option(help="Only this action: pipeline_run, erasure, policy_change...")
    ] = None,
    last: Annotated[int, typer.Option(min=1, help="Show the newest N records.")] = 50,
) -> None:
    """List the audit trail (an append-only Delta table): who did what, when, with which policy and code."""
    from lakehouse.audit_trail import audit_records

    settings = settings_of(context)
    records = [record for record in audit_records(settings) if action is None or record.action == action]
    scope = "" if action is None else f" of action {action}"
    console.print(f"audit trail: {settings.audit_table_uri} ({len(records)} record(s){scope})")
    for record in records[-last:]:
        counts = ", ".join(f"{name} {value:,}" for name, value in record.counts.items())
        console.print(
            f"{record.at[:19]}  {record.action:<14} {record.outcome:<9} {record.actor:<22} {record.subject}"
            f"  policy v{record.policy_version} code {record.code_version}",
            markup=False,
        )
        for line in (record.detail, counts, record.reference):
            if line:
                console.print(f"{'':>21}{line}", markup=False)


@app.command("pii-scan")
def pii_scan(context: typer.Context) -> None:
    """Scan silver, the marts, exports and logs for raw personal data; exit 1 naming every place it is found."""
    from lakehouse.pii_scan import scan_for_pii

    settings = settings_of(context)
    started = time.perf_counter()
    report = scan_for_pii(settings)
    summary = (
        f"{report.values_scanned:,} distinct values and lines in {report.places:,} columns and files, "
        f"against {report.planted_values:,} planted values and Presidio, in {time.perf_counter() - started:.0f}s"
    )
    if not report.findings:
        console.print(f"[bold green]clean[/]: no raw personal data in {summary}")
        return
    for finding in report.findings:
        console.print(f"[bold red]PII[/] {finding.describe()}", highlight=False)
    console.print(f"[bold red]error[/] raw personal data in {len(report.findings)} place(s); scanned {summary}")
    raise typer.Exit(1)


@app.command("pii-eval")
def pii_eval(
    context: typer.Context,
    size: Annotated[int, typer.Option(min=10, help="Synthetic feedback texts, and as many identifier texts.")] = 400,
) -> None:
    """Score Presidio on the labelled feedback set: precision and recall per entity type, against targets."""
    from governance.evaluation import PRECISION_TARGET, RECALL_TARGETS, score_detection
    from governance.masking import text_masker
    from lakehouse.pii_evaluation import evaluation_set

    settings = settings_of(context)
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
