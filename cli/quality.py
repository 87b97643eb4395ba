"""The data-quality commands: GX Data Docs from every kept validation result, and reconciliation with the landing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from cli.console import console
from cli.context import settings_of

if TYPE_CHECKING:
    from lakehouse.reconciliation import WeekComparison

UNBOUNDED = 10_000
"""Width to measure a table at: a row of figures stays one line, wider than the terminal if it must."""

app = typer.Typer()


@app.command("quality-docs")
def quality_docs(context: typer.Context) -> None:
    """Render GX Data Docs from every kept validation result and print where the page is."""
    from spark_jobs.quality import build_data_docs

    index = build_data_docs(settings_of(context).data_dir / "quality")
    console.print(f"ok GX Data Docs: {index}")


@app.command()
def reconcile(context: typer.Context) -> None:
    """Print each week's sales as the landing files hold them beside category.fct_sales_lines; exit 1 if they differ.

    Lines, baskets, households, units and sales to the cent, per week; the
    first difference is named on the last line.
    """
    from lakehouse.ingest import lake_layout
    from lakehouse.reconciliation import compare_weeks, first_difference, landing_sales_weekly, marts_sales_weekly
    from lakehouse.warehouse import analyst_client

    settings = settings_of(context)
    landing = landing_sales_weekly(settings, lake_layout(settings))
    weeks = compare_weeks(landing, marts_sales_weekly(analyst_client(settings)))
    table = reconciliation_table(weeks)
    print_unwrapped(table)
    if (difference := first_difference(weeks)) is not None:
        console.print(f"[bold red]error[/] the marts differ from the landing: {escape(difference)}")
        raise typer.Exit(1)
    totals = {name: sum(week.landing[name] for week in weeks) for name in ("lines", "units", "sales_value")}
    console.print(
        f"[bold green]ok[/] the marts equal the landing in each of {len(weeks)} weeks: {totals['lines']:,} lines, "
        f"{totals['units']:,} units, {totals['sales_value']:,} sales"
    )


def reconciliation_table(weeks: list[WeekComparison]) -> Table:
    """Landing and marts side by side, each figure a pair of columns; a figure that differs in red."""
    from lakehouse.reconciliation import FIGURES

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("week", justify="right")
    for name in FIGURES:
        label = name.replace("_", " ")
        table.add_column(f"{label}\nlanding", justify="right")
        table.add_column(f"{label}\nmarts", justify="right")
    for week in weeks:
        cells = [str(week.week)]
        for name in FIGURES:
            mark = "[bold red]" if name in week.differences else "[default]"
            cells += [f"{mark}{week.landing[name]:,}", f"{mark}{week.marts[name]:,}"]
        table.add_row(*cells)
    return table


def print_unwrapped(table: Table) -> None:
    """Print ``table`` at its natural width, each row one line, even where the terminal (or 80 columns) is narrower."""
    natural = Measurement.get(console, console.options.update(max_width=UNBOUNDED), table).maximum
    width = console.width
    console.width = max(width, natural)
    try:
        console.print(table)
    finally:
        console.width = width
