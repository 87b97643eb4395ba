"""A long command's work in a process group of its own, so that nothing it started outlives it.

``lakehouse run`` starts ``dbt build``, Spark's JVM and its Python workers.
Killed with SIGKILL, a process can stop none of them: they would run on as
orphans. So the command re-runs itself as a worker that leads a new process
group (every child it starts joins it) and holds the reading end of a pipe,
its lifeline, whose writing end only the command holds. When the command
dies, however, or is asked to stop (Ctrl-C, SIGTERM), the pipe reaches its
end and a thread in the worker replaces the worker (``exec``) with the
command that ends the rest of the group and records the run as failed.
Signal handlers would not do: Dagster installs its own while a run executes,
and an interrupt inside a step is only retried by the step's retry policy.
If the worker itself is killed outright, the command ends the group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import IO

import psutil

GRACE_SECONDS = 30.0
"""How long the group's members get to end after SIGTERM before SIGKILL."""
STOP_GRACE_SECONDS = 10.0
"""The same when the run is being stopped: dbt and Spark have nothing left to save."""


def run_as_group_leader(
    command: Sequence[str], lifeline_option: str, output: IO[bytes] | None = None, pass_fds: Sequence[int] = ()
) -> int:
    """Run ``command`` as the leader of a new process group, its lifeline passed as ``lifeline_option FD``.

    The worker writes its stdout and stderr to ``output`` (else to ours) and
    inherits ``pass_fds``. Ctrl-C and SIGTERM here cut the lifeline; when the
    worker is gone, any member of its group still alive is ended. Returns the
    worker's exit code.
    """
    lifeline, held = os.pipe()
    worker = subprocess.Popen(
        [*command, lifeline_option, str(lifeline)],
        process_group=0,
        pass_fds=(lifeline, *pass_fds),
        stdout=output,
        stderr=output,
    )
    os.close(lifeline)

    open_ends = [held]

    def cut(_signum: int, _frame: FrameType | None) -> None:
        while open_ends:
            os.close(open_ends.pop())

    previous = {signum: signal.signal(signum, cut) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = worker.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        cut(signal.SIGTERM, None)
    end_group(worker.pid)
    return code


def hold_lifeline(lifeline: int, on_cut: Sequence[str]) -> None:
    """In the worker: when the lifeline ends, become ``on_cut`` (same process, same group).

    ``on_cut`` writes where the worker's output went when this was called:
    while a step runs, Dagster points the process's stdout and stderr at the
    step's captured log, and a stopped run's last words would land there.
    """
    if os.getpgrp() != os.getpid():
        raise RuntimeError("the worker must lead its own process group (start it with run_as_group_leader)")
    standard = {stream: os.dup(stream) for stream in (1, 2)}

    def watch() -> None:
        with contextlib.suppress(OSError):
            os.read(lifeline, 1)
        for stream, original in standard.items():
            os.dup2(original, stream)
        os.execv(on_cut[0], list(on_cut))

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def end_group(group: int, grace_seconds: float = GRACE_SECONDS) -> None:
    """SIGTERM every live member of process group ``group`` but this process; SIGKILL what remains after the grace."""
    members = group_members(group)
    for member in members:
        _quietly(member.terminate)
    _, alive = psutil.wait_procs(members, timeout=grace_seconds)
    for member in alive:
        _quietly(member.kill)
    psutil.wait_procs(alive, timeout=grace_seconds)


def group_members(group: int) -> list[psutil.Process]:
    """The live processes of ``group``, this one excepted."""
    members = []
    for process in psutil.process_iter():
        try:
            if process.pid != os.getpid() and os.getpgid(process.pid) == group and process.status() != "zombie":
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def _quietly(action: Callable[[], None]) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        action()
