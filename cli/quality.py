"""The data-quality command: GX Data Docs from every kept validation result."""

from __future__ import annotations

import typer

from cli.console import console
from cli.context import settings_of

app = typer.Typer()


@app.command("quality-docs")
def quality_docs(context: typer.Context) -> None:
    """Render GX Data Docs from every kept validation result and print where the page is."""
    from spark_jobs.quality import build_data_docs

    index = build_data_docs(settings_of(context).data_dir / "quality")
    console.print(f"ok GX Data Docs: {index}")
