"""Start, wait for and stop a server the platform runs as a child process: the warehouse, MinIO, ``dagster dev``.

Each starts in a process group of its own, with its output in a log file, and
is ready when its own readiness check answers (never after a fixed sleep).
Stopping it asks politely (SIGTERM, or SIGINT for a server that treats it as
Ctrl-C), kills it after a grace period, and then ends whatever it started that
is still alive in its group, so nothing outlives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lakehouse.run_group import end_group

READY_POLL_SECONDS = 0.1


def start_child(
    name: str,
    command: Sequence[str],
    ready: Callable[[], bool],
    log_path: Path,
    timeout_s: float,
    environment: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    """Start ``command`` in a new process group and return once ``ready()`` is true.

    A child that exits first fails with its log's last line; one not ready
    within ``timeout_s`` is stopped and fails naming its log. An interrupt while
    waiting stops it too, so not even Ctrl-C leaves a half-started server.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(environment) if environment is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_default_interrupts,
            pass_fds=tuple(pass_fds),
        )
    try:
        _wait_until_ready(name, process, ready, log_path, timeout_s)
    except BaseException:
        stop_child(process)
        raise
    return process


def stop_child(
    process: subprocess.Popen[bytes] | None, grace_s: float = 30.0, stop_signal: int = signal.SIGTERM
) -> None:
    """Send ``stop_signal``; SIGKILL the group after ``grace_s``; then end what is left of the group."""
    if process is None:
        return
    if process.poll() is None:
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    end_group(process.pid, grace_seconds=grace_s)


def last_line(log_path: Path) -> str:
    """The log's last line, which is where a server says why it stopped."""
    lines = log_path.read_text(errors="replace").strip().splitlines() if log_path.exists() else []
    return lines[-1] if lines else "no output"


def _wait_until_ready(
    name: str, process: subprocess.Popen[bytes], ready: Callable[[], bool], log_path: Path, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (code := process.poll()) is not None:
            raise RuntimeError(f"{name} exited at start with code {code}: {last_line(log_path)} (log: {log_path})")
        if ready():
            return
        time.sleep(READY_POLL_SECONDS)
    raise TimeoutError(f"{name} was not ready within {timeout_s:.0f}s (log: {log_path})")


def _default_interrupts() -> None:
    """In the child: SIGINT and SIGTERM act again even if this process was started with them ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
