"""The compliance commands: ``lakehouse erase``, ``lakehouse audit`` and ``lakehouse pii-scan``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from lakehouse.cli_failure import fail
from lakehouse.progress import console, stage
from lakehouse.settings import get_settings


def erase(
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
    """Erase households from landing, bronze, silver (with their Delta history), quarantine and the marts."""
    from governance.erasure import ErasureRequest, read_erasure_requests
    from lakehouse.erasure import erase_households
    from lakehouse.warehouse import ensure_warehouse
    from spark_jobs.session import build_spark_session

    settings = get_settings()
    started = time.perf_counter()
    try:
        asked = [ErasureRequest(number, reference) for number in household or []]
        if requests is not None:
            asked.extend(read_erasure_requests(requests))
        if not asked:
            raise typer.BadParameter("name a household with --household ID or a file with --requests FILE")
        with stage("starting Spark with Delta") as report:
            spark = build_spark_session(settings)
            report.notes.append(f"lake {settings.lake_uri}, landing {settings.landing_uri}")
        started_warehouse = ensure_warehouse(settings)
        try:
            outcomes = erase_households(spark, settings, asked, requested_by)
        finally:
            if started_warehouse is not None:
                started_warehouse.stop()
    except typer.BadParameter:
        raise
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        fail(error)
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


def audit(
    action: Annotated[
        str | None, typer.Option(help="Only this action: pipeline_run, erasure, policy_change...")
    ] = None,
    last: Annotated[int, typer.Option(min=1, help="Show the newest N records.")] = 50,
) -> None:
    """List the audit trail (an append-only Delta table): who did what, when, with which policy and code."""
    from lakehouse.audit_trail import audit_records

    settings = get_settings()
    try:
        records = [record for record in audit_records(settings) if action is None or record.action == action]
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        fail(error)
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


def pii_scan() -> None:
    """Scan silver, the marts, exports and logs for raw personal data; exit 1 naming every place it is found."""
    from lakehouse.pii_scan import scan_for_pii

    settings = get_settings()
    started = time.perf_counter()
    try:
        report = scan_for_pii(settings)
    except Exception as error:  # noqa: BLE001 - every failure reaches the person as one line
        fail(error)
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
