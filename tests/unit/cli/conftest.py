from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from rich.console import Console

from cli.console import PLATFORM_LOGGERS, ConsoleHandler, attach_console
from lakehouse.progress import PROGRESS_TICKS


@pytest.fixture
def terminal() -> Iterator[io.StringIO]:
    """A console attached as the command line attaches it, its loggers at INFO as ``configure_logging`` sets them."""
    screen = io.StringIO()
    handler = ConsoleHandler(Console(file=screen, highlight=False, soft_wrap=True))
    levels = {name: logging.getLogger(name).level for name in PLATFORM_LOGGERS}
    for name in PLATFORM_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    attach_console(handler)
    yield screen
    for name in (*PLATFORM_LOGGERS, PROGRESS_TICKS):
        logging.getLogger(name).removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
