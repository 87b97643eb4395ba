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

from warehouse.config import LOOPBACK_HOSTS, WarehouseConfig
from warehouse.confinement import ConfinementError, confine
from warehouse.engine_config import S3_ACCESS_KEY_VARIABLE, S3_SECRET_KEY_VARIABLE, write_engine_config


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


def enter_lake(config: WarehouseConfig) -> None:
    """Work in the folder chDB may read: a local lake's silver, or the data path's own files for an S3 lake.

    chDB reads local Delta tables (``DeltaLakeLocal('<lake>/silver/<table>')``)
    only below its working folder, and resolves relative ``file()`` paths in
    it. An S3 lake is reached through the named collection in chDB's config,
    whose keys come from this process's environment, never from a file.
    """
    folder = config.served_lake_folder or config.data_path / "user_files"
    folder.mkdir(parents=True, exist_ok=True)
    os.chdir(folder)
    if config.lake.is_s3:
        os.environ[S3_ACCESS_KEY_VARIABLE] = config.lake.access_key
        os.environ[S3_SECRET_KEY_VARIABLE] = config.lake.secret_key


def serve(config: WarehouseConfig) -> None:
    """Serve until SIGTERM or SIGINT, then close chDB cleanly and let the path go.

    The process is confined (:mod:`warehouse.confinement`) before chDB is
    imported, so no SQL reaches files outside the data path and the lake.
    """
    refuse_exposed_defaults(config)
    data_path = config.data_path.resolve()
    with data_path_lock(data_path):
        listener = _listen(config.host, config.port)
        engine_config = write_engine_config(config)
        enter_lake(config)
        temporary = data_path / "tmp"
        temporary.mkdir(exist_ok=True)
        os.environ["TMPDIR"] = str(temporary)  # chDB's first, import-time instance works in TMPDIR
        lake_folder = config.served_lake_folder
        if config.confine:
            try:
                confine(writable=[data_path], readable=[lake_folder] if lake_folder else [])
            except ConfinementError as error:
                raise WarehouseStartError(str(error)) from None
        else:
            logging.getLogger("warehouse").warning(
                "not confined (LAKEHOUSE_WAREHOUSE_CONFINE=false): SQL reads host files"
            )
        from warehouse.app import create_app  # chDB loads here, inside the confinement
        from warehouse.engine import Engine

        try:
            engine = Engine(data_path, config.query_thread_nice, engine_config)
        except Exception as error:
            raise WarehouseStartError(f"chDB could not open {data_path}: {error}") from error
        logging.getLogger("warehouse").info("serving %s on http://%s:%s", data_path, config.host, config.port)
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
