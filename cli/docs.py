"""The analysts' commands: dbt against the platform's warehouse, the dbt docs site, the policy in dbt's column meta."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.console import console
from cli.context import settings_of
from lakehouse.progress import stage

app = typer.Typer()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(context: typer.Context) -> None:
    """Run dbt in dbt_project/ against the platform's warehouse and lake, e.g. `lakehouse dbt build -s marts`."""
    from lakehouse.dbt import dbt_command

    raise typer.Exit(dbt_command(settings_of(context), *context.args).returncode)


@app.command()
def docs(
    context: typer.Context,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to serve the docs on.")] = 8080,
    serve: Annotated[bool, typer.Option(help="Serve the site after building it.")] = True,
) -> None:
    """Build the dbt docs (every model and column, lineage, PII classification) and serve them locally."""
    from lakehouse.dbt import dbt_target_path, docs_server, run_dbt

    settings = settings_of(context)
    with stage("generating dbt docs (dbt docs generate)") as report:
        run_dbt(settings, "docs", "generate").raise_for_failure()
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
