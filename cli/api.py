"""``lakehouse api``: serve the API (recommendations, offers, insights) and mint tokens for it."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.console import console, log_to_own_file
from cli.context import settings_of

app = typer.Typer(invoke_without_command=True, help=__doc__)

ACCESS_LOG = "api-access.log"
"""One JSON line per request, kept out of the console and the platform's log (and scanned by pii-scan)."""


@app.callback()
def serve(
    context: typer.Context,
    port: Annotated[
        int | None, typer.Option("--port", help="Port on the loopback (default: LAKEHOUSE_API_PORT).")
    ] = None,
    start_warehouse: Annotated[
        bool,
        typer.Option(
            "--start-warehouse/--no-start-warehouse",
            help="Start the embedded warehouse when it is not serving (`lakehouse up` starts it itself).",
        ),
    ] = True,
) -> None:
    """Serve the API on 127.0.0.1 (port 8000 by default) until Ctrl-C; starts the embedded warehouse if needed."""
    if context.invoked_subcommand is not None:
        return
    import uvicorn

    from lakehouse.api_issuer import serving_config
    from lakehouse.warehouse import ensure_warehouse
    from serving.app import create_app

    settings = settings_of(context)
    if start_warehouse:
        ensure_warehouse(settings)
    access_log = log_to_own_file(settings.data_dir, "serving.access", ACCESS_LOG)
    bound = port or settings.api_port
    url = f"http://{settings.api_host}:{bound}"
    console.print(f"[bold]API[/]: {url}  (reference: {url}/docs, readiness: {url}/readyz)")
    console.print(f"   access log: {access_log}; a token: `lakehouse api token --help`")
    uvicorn.run(
        create_app(serving_config(settings)),
        host=settings.api_host,
        port=bound,
        log_config=None,
        access_log=False,
        server_header=False,
    )


@app.command()
def token(
    context: typer.Context,
    retailer: Annotated[str, typer.Option("--retailer", help="The retailer the token acts for (R01 ... R05).")],
    scope: Annotated[
        list[str], typer.Option("--scope", help="recommendations:read, offers:read or insights:read (repeatable).")
    ],
    subject: Annotated[str, typer.Option("--subject", help="Who the token is for (default: <retailer>-app).")] = "",
) -> None:
    """Mint a token from the local issuer and print it (nothing else, so `$(lakehouse api token ...)` works)."""
    from lakehouse.api_issuer import mint_token

    typer.echo(mint_token(settings_of(context), retailer, scope, subject))
