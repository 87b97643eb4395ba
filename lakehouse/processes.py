"""Helpers for the servers the platform starts as child processes on loopback (MinIO, the warehouse, docs)."""

from __future__ import annotations

import socket
import subprocess
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def terminate(process: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
    """SIGTERM, wait up to ``timeout_s`` for a clean exit, then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def answers(url: str, timeout_s: float = 1.0) -> bool:
    """Whether a GET of ``url`` gets 200: how a started server is known to be ready."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False
