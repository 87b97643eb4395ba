"""Stopping what a test started as a child process, and everything that child started in turn."""

from __future__ import annotations

import signal
import subprocess

import psutil


def stop_process_tree(process: subprocess.Popen[str], timeout_s: float = 120.0) -> None:
    """SIGINT (as Ctrl-C) and a wait; then SIGKILL for the process and every descendant still alive.

    ``lakehouse up`` starts ``dagster dev`` in a session of its own, so killing ``up`` alone would leave it.
    """
    if process.poll() is not None:
        return
    descendants = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
    for child in descendants:
        if child.is_running():
            child.kill()
