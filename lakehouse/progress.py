"""What long work reports as it goes: stages with counts and elapsed time, and progress over items.

Services and assets only log these (logger ``lakehouse.progress``); how they look
is the command line's business (``cli.console``), and under Dagster they are
log lines of the step. A stage logs its start and end at INFO, with the parts
in the record (``stage``, ``stage_name``, ``stage_detail``, ``elapsed``); progress
is logged at DEBUG (``progress``, ``progress_id``, ``done``, ``total``) on a logger
of its own, :data:`PROGRESS_TICKS`.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

logger = logging.getLogger(__name__)

PROGRESS_TICKS = "progress_ticks"
"""Outside the platform's loggers, whose every record Dagster keeps as an event of the step: a tick only
moves the terminal's bar, and a dbt step ticks once per node (hundreds of events a run, each a database write)."""
ticks = logging.getLogger(PROGRESS_TICKS)

T = TypeVar("T")

_bar_ids = itertools.count()


@dataclass
class StageReport:
    """Filled in by the stage body; logged when the stage ends."""

    name: str
    rows: int = 0
    files: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, rows: int = 0, files: int = 0) -> None:
        self.rows += rows
        self.files += files


@contextmanager
def stage(name: str) -> Iterator[StageReport]:
    """Log a stage's start, time it, and log its counts and notes when it ends."""
    logger.info("> %s ...", name, extra={"stage": "start", "stage_name": name})
    report = StageReport(name)
    started = time.perf_counter()
    yield report
    elapsed = time.perf_counter() - started
    counts = []
    if report.rows:
        counts.append(f"{report.rows:,} rows")
    if report.files:
        counts.append(f"{report.files:,} files")
    detail = f" ({', '.join(counts)})" if counts else ""
    ended = {"stage": "end", "stage_name": name, "stage_detail": detail, "elapsed": elapsed}
    logger.info("ok %s%s in %.1fs", name, detail, elapsed, extra=ended)
    for note in report.notes:
        logger.info("   %s", note, extra={"stage": "note", "stage_note": note})


@contextmanager
def node_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """``advance(done, total)`` logs progress of work that learns its total as it goes."""
    bar = next(_bar_ids)

    def log(event: str, done: int = 0, total: int = 0) -> None:
        fields = {"progress": event, "progress_id": bar, "progress_description": description}
        ticks.debug("%s: %d of %d", description, done, total, extra={**fields, "done": done, "total": total})

    log("start")
    try:
        yield lambda done, total: log("advance", done, total)
    finally:
        log("end")


def track(items: Iterable[T], description: str, total: int) -> Iterator[T]:
    """``items``, logging progress over the ``total`` of them as each is done."""
    with node_progress(description) as advance:
        for done, item in enumerate(items, start=1):
            yield item
            advance(done, total)
