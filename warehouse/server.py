"""Run the warehouse: take the data path, open chDB on it, and serve the HTTP interface until SIGTERM."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from warehouse.app import create_app
from warehouse.config import LOOPBACK_HOSTS, LakeAccess, WarehouseConfig
from warehouse.engine import Engine, quote_literal
from warehouse.errors import WarehouseError


class WarehouseStartError(RuntimeError):
    """The warehouse cannot start; the message says why and what to do."""


@contextmanager
def data_path_lock(data_path: Path) -> Iterator[None]:
    """Hold the data path for this process; a second server fails at once naming the holder.

    The lock is an ``flock`` on a file in the path, so the kernel drops it when
    the holder dies, even by SIGKILL, and the path opens again.
    """
    data_path.mkdir(parents=True, exist_ok=True)
    lock_file = data_path / "warehouse.lock"
    handle = lock_file.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise WarehouseStartError(
            f"warehouse data path {data_path} is in use by process {holder}; "
            "stop that server (`lakehouse warehouse stop`) or serve another --data-path"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    try:
        yield
    finally:
        handle.close()


def refuse_exposed_defaults(config: WarehouseConfig) -> None:
    if config.host not in LOOPBACK_HOSTS and config.default_credentials_in_use:
        raise WarehouseStartError(
            f"refusing to listen on {config.host}: the embedded default passwords are in use; "
            "set CLICKHOUSE_PASSWORD and LAKEHOUSE_ANALYST_PASSWORD first"
        )


def open_lake(engine: Engine, lake: LakeAccess) -> None:
    """Make the lake readable by the admin without credentials in any SQL text.

    On S3 the keys sit in a named collection (``lake`` by default) whose URL and
    keys cannot be overridden, so ``DeltaLake(lake, filename = 'silver/<table>/')``
    reaches only this lake. A local lake is read with ``DeltaLakeLocal('<absolute
    path>')``: chDB reads local Delta tables only below its working folder, so
    the server runs in the lake folder. Analysts (``readonly=1``) may not use
    table functions at all; they read the tables the pipeline registers.
    """
    if not lake.is_s3:
        Path(lake.root).mkdir(parents=True, exist_ok=True)
        os.chdir(lake.root)
        return
    engine.run_admin(f"DROP NAMED COLLECTION IF EXISTS {lake.named_collection}")
    try:
        engine.run_admin(
            f"CREATE NAMED COLLECTION {lake.named_collection} AS "
            f"url = {quote_literal(lake.http_url)} NOT OVERRIDABLE, "
            f"access_key_id = {quote_literal(lake.access_key)} NOT OVERRIDABLE, "
            f"secret_access_key = {quote_literal(lake.secret_key)} NOT OVERRIDABLE"
        )
    except WarehouseError as error:
        hidden = error.text.replace(lake.secret_key, "[HIDDEN]") if lake.secret_key else error.text
        raise WarehouseStartError(f"could not register the lake at {lake.http_url}: {hidden.strip()}") from None


def serve(config: WarehouseConfig) -> None:
    """Serve until SIGTERM or SIGINT, then close chDB cleanly and let the path go."""
    refuse_exposed_defaults(config)
    data_path = config.data_path.resolve()
    with data_path_lock(data_path):
        try:
            engine = Engine(data_path, config.query_thread_nice)
        except Exception as error:
            raise WarehouseStartError(f"chDB could not open {data_path}: {error}") from error
        open_lake(engine, config.lake)
        logging.getLogger("warehouse").info("serving %s on http://%s:%s", data_path, config.host, config.port)
        listener = _listen(config.host, config.port)
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(config, engine),
                host=config.host,
                port=config.port,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=10,
            )
        )
        _stop_signals_end_quietly()
        server.run(sockets=[listener])
        logging.getLogger("warehouse").info("stopped; %s is free", data_path)


def _stop_signals_end_quietly() -> None:
    """uvicorn re-raises SIGTERM or SIGINT once its graceful shutdown is done; let that end in exit 0, not a kill."""
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        raise WarehouseStartError(
            f"cannot listen on {host}:{port}: {error.strerror}; is another server there?"
        ) from None
    listener.listen(256)
    return listener
