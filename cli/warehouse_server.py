"""``lakehouse warehouse``: serve, start and stop the embedded ClickHouse warehouse (chDB over the HTTP interface)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.console import configure_logging, console
from cli.context import settings_of
from lakehouse.progress import stage

app = typer.Typer(no_args_is_help=True, help="The embedded ClickHouse warehouse (chDB over the HTTP interface).")

PortOption = Annotated[int | None, typer.Option("--port", help="Port on the loopback (default: CLICKHOUSE_URL's).")]


@app.command("serve")
def warehouse_serve(
    context: typer.Context,
    port: PortOption = None,
    data_path: Annotated[
        Path | None, typer.Option("--data-path", help="chDB data folder (default from settings).")
    ] = None,
) -> None:
    """Serve the warehouse in the foreground until Ctrl-C or SIGTERM."""
    from lakehouse.warehouse import warehouse_config
    from warehouse.server import serve

    settings = settings_of(context)
    configure_logging(settings.data_dir, log_to_stderr=True, draw=False)
    serve(warehouse_config(settings, port=port, data_path=data_path))


@app.command("start")
def warehouse_start(context: typer.Context, port: PortOption = None) -> None:
    """Start the warehouse in the background (if it is not already serving) and wait until it answers."""
    from lakehouse.warehouse import WarehouseProcess, is_serving

    settings = settings_of(context)
    process = WarehouseProcess(settings, port=port)
    if is_serving(process.url):
        console.print(f"ok the warehouse already answers at {process.url}")
        return
    with stage(f"starting the warehouse on {process.url}"):
        process.start()
    console.print(f"   data: {settings.warehouse_data_path}   log: {settings.data_dir / 'logs' / 'warehouse.log'}")
    console.print("   stop: `lakehouse warehouse stop`")


@app.command("stop")
def warehouse_stop(context: typer.Context) -> None:
    """Stop the warehouse serving this data path (SIGTERM, then wait for a clean exit)."""
    from lakehouse.warehouse import stop_serving

    settings = settings_of(context)
    assert settings.warehouse_data_path is not None
    pid = stop_serving(settings.warehouse_data_path)
    console.print(f"ok stopped warehouse process {pid}" if pid else "ok no warehouse was running")
