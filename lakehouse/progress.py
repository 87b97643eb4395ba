"""What long work shows the person running it: a line per stage with counts and elapsed time."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import TextIO, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(highlight=False, soft_wrap=True)

T = TypeVar("T")


@dataclass
class StageReport:
    """Filled in by the stage body; printed when the stage ends."""

    name: str
    rows: int = 0
    files: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, rows: int = 0, files: int = 0) -> None:
        self.rows += rows
        self.files += files


@contextmanager
def stage(name: str) -> Iterator[StageReport]:
    """Announce a stage, time it, and print its counts when it ends."""
    console.print(f"[bold cyan]>[/] {escape(name)} ...")
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
    console.print(f"[bold green]ok[/] {escape(name)}{detail} in {elapsed:.1f}s")
    for note in report.notes:
        console.print(f"   {note}", markup=False)


def track(items: Iterable[T], description: str, total: int) -> Iterator[T]:
    """A progress bar over ``items``; plain iteration when output is not a terminal."""
    if not console.is_terminal:
        yield from items
        return
    columns = (TextColumn("   {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


@contextmanager
def node_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar moved by ``advance(done, total)`` for work that learns its total as it goes."""
    if not console.is_terminal:
        yield lambda done, total: None
        return
    columns = (TextColumn("   {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


@contextmanager
def stdout_to(log: TextIO) -> Iterator[None]:
    """Send what a library prints to ``log``, while the platform's own lines and bars stay on the terminal."""
    console.file = sys.stdout
    try:
        with redirect_stdout(log):
            yield
    finally:
        console.file = None  # type: ignore[assignment]  # None restores rich's "whatever sys.stdout is now"
