"""The terminal: the one place that renders what services log, with colour, counts and progress bars.

Records from the platform's own loggers are drawn on the console: a stage as
``> name ...`` then ``ok name (counts) in 1.2s``, progress as a bar when the
console is a terminal, warnings and errors marked. Everything, the libraries'
records included, also goes to the command's log file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from lakehouse.progress import PROGRESS_TICKS

console = Console(highlight=False, soft_wrap=True)

PLATFORM_LOGGERS = ("lakehouse", "orchestration", "spark_jobs", "governance", "warehouse", "serving", "cli")


class ConsoleHandler(logging.Handler):
    """Draws log records on ``console``: stage lines, bars, marked warnings and errors.

    It is attached to the platform's own loggers, not the root: a library's
    records stay off the terminal, and the handler sees each record before a
    handler Dagster adds during a step rewrites its message.
    """

    def __init__(self, target: Console) -> None:
        super().__init__(logging.DEBUG)
        self.console = target
        self.bars: Progress | None = None
        self.tasks: dict[int, TaskID] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if hasattr(record, "progress"):
                self._progress(record)
            elif record.levelno >= logging.INFO:
                self._line(record)
        except Exception:  # noqa: BLE001 - logging's own contract: a handler never raises
            self.handleError(record)

    def _line(self, record: logging.LogRecord) -> None:
        stage = getattr(record, "stage", None)
        if stage == "start":
            self.console.print(f"[bold cyan]>[/] {escape(record.stage_name)} ...")  # type: ignore[attr-defined]
        elif stage == "end":
            name, detail = escape(record.stage_name), escape(record.stage_detail)  # type: ignore[attr-defined]
            self.console.print(f"[bold green]ok[/] {name}{detail} in {record.elapsed:.1f}s")  # type: ignore[attr-defined]
        elif stage == "note":
            self.console.print(f"   {record.stage_note}", markup=False)  # type: ignore[attr-defined]
        elif record.levelno >= logging.ERROR:
            self.console.print(f"[bold red]error[/] {escape(record.getMessage())}")
        elif record.levelno >= logging.WARNING:
            self.console.print(f"[bold yellow]warning[/] {escape(record.getMessage())}")
        else:
            self.console.print(record.getMessage(), markup=False)

    def _progress(self, record: logging.LogRecord) -> None:
        if not self.console.is_terminal:
            return
        bar: int = record.progress_id  # type: ignore[attr-defined]
        event: str = record.progress  # type: ignore[attr-defined]
        if event == "start":
            if self.bars is None:
                columns = (TextColumn("   {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
                self.bars = Progress(*columns, console=self.console, transient=True)
                self.bars.start()
            self.tasks[bar] = self.bars.add_task(record.progress_description, total=None)  # type: ignore[attr-defined]
        elif self.bars is not None and bar in self.tasks:
            if event == "advance":
                self.bars.update(self.tasks[bar], completed=record.done, total=record.total)  # type: ignore[attr-defined]
            else:
                self.bars.remove_task(self.tasks.pop(bar))
                if not self.tasks:
                    self.bars.stop()
                    self.bars = None


def use_console_fd(fd: int) -> None:
    """Draw on ``fd`` (the person's terminal, handed to a worker whose own output is its log)."""
    console.file = os.fdopen(fd, "w", buffering=1, closefd=False)


def configure_logging(data_dir: Path, log_to_stderr: bool = False, draw: bool = True) -> None:
    """The platform's records (INFO and up) to the console when ``draw``; those and the libraries' warnings to the log.

    The log is ``data_dir/logs/lakehouse.log``, appended to by every command,
    or this process's stderr when ``log_to_stderr`` (a worker whose stderr is its log).
    Handlers a library installed on the root logger at import are replaced.
    """
    log: logging.Handler
    if log_to_stderr:
        log = logging.StreamHandler()
    else:
        (data_dir / "logs").mkdir(parents=True, exist_ok=True)
        log = logging.FileHandler(data_dir / "logs" / "lakehouse.log", delay=True)
    log.setLevel(logging.INFO)
    log.addFilter(lambda record: not hasattr(record, "progress"))
    log.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(log)
    root.setLevel(logging.WARNING)
    for name in PLATFORM_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    if draw:
        attach_console(ConsoleHandler(console))


def log_to_own_file(data_dir: Path, logger_name: str, file_name: str) -> Path:
    """Send ``logger_name``'s records, message only, to ``data_dir/logs/file_name`` and nowhere else (an access log)."""
    path = data_dir / "logs" / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(message)s"))
    own = logging.getLogger(logger_name)
    own.addHandler(handler)
    own.propagate = False
    return path


def attach_console(handler: ConsoleHandler) -> None:
    """Route the platform's loggers and the progress ticks (DEBUG) to ``handler``."""
    for name in PLATFORM_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    progress = logging.getLogger(PROGRESS_TICKS)
    progress.addHandler(handler)
    progress.setLevel(logging.DEBUG)
    progress.propagate = False
