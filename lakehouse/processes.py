"""Small process helpers: free loopback ports, readiness probes, one instance per data folder, interrupts."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers(url: str, timeout_s: float = 1.0) -> bool:
    """Whether a GET of ``url`` gets 200: how a started server is known to be ready."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class AlreadyRunningError(RuntimeError):
    """Another process holds what this one was about to start; the message names it."""


@contextmanager
def single_instance(lock_file: Path, what: str) -> Iterator[IO[str]]:
    """Hold ``lock_file`` for this process, or fail at once naming the process that holds it.

    An ``flock``, so the kernel releases it when the holder dies, even by SIGKILL,
    and every child the open file is passed to holds it as well.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_file.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyRunningError(f"{what} is already running as process {holder} (lock: {lock_file})") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    try:
        yield handle
    finally:
        handle.close()


def interrupts_stop_this_process() -> None:
    """Ctrl-C and SIGTERM raise ``KeyboardInterrupt``, even when a shell started this process in the background.

    A shell starts background jobs with SIGINT ignored, and Python then leaves it ignored.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
