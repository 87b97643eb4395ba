"""Run one stage in this process and print what it cost as JSON: ``python -m bench.measure STAGE DIR``.

CPU and memory count the whole process tree, so a local Spark's JVM (a
child that lives on) is included, and so is a child that has ended (a
training job, a dbt command): CPU from before and after, its own and its
ended children's, peak RSS sampled every 100 ms.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import psutil

from bench.common import Outcome
from bench.stages import STAGES


def _tree() -> list[psutil.Process]:
    me = psutil.Process()
    return [me, *me.children(recursive=True)]


def _tree_cpu_s() -> float:
    total = 0.0
    for process in _tree():
        try:
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            continue
    return total


def _tree_rss_bytes() -> int:
    total = 0
    for process in _tree():
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


class PeakRss:
    """Samples the process tree's resident memory in the background and keeps the highest."""

    def __init__(self) -> None:
        self.peak = _tree_rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, _tree_rss_bytes())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree_rss_bytes())


def measure(stage: str, scratch: Path) -> dict[str, object]:
    prepared = STAGES[stage].prepare(scratch)
    cpu_before = _tree_cpu_s()
    with PeakRss() as memory:
        started = time.perf_counter()
        outcome = STAGES[stage].run(prepared)
        wall = time.perf_counter() - started
    rows, detail = (outcome.rows, outcome.detail) if isinstance(outcome, Outcome) else (outcome, {})
    cpu = _tree_cpu_s() - cpu_before
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(memory.peak / 2**20, 1),
        "rows": rows,
        "rows_per_s": round(rows / wall, 1) if wall else 0.0,
        "detail": detail,
    }


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]))))
