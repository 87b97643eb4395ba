"""What the terminal shows of the services' log records: stage lines as written, library records not at all."""

from __future__ import annotations

import io
import logging

import pytest

from lakehouse.progress import stage, track

pytestmark = pytest.mark.unit


def test_a_stage_shows_its_start_then_its_counts_and_notes(terminal: io.StringIO) -> None:
    with stage("landing stores") as report:
        report.add(rows=1_250, files=3)
        report.notes.append("manifest: landing/_manifest.json")

    lines = terminal.getvalue().splitlines()
    assert lines[0] == "> landing stores ..."
    assert lines[1].startswith("ok landing stores (1,250 rows, 3 files) in ") and lines[1].endswith("s")
    assert lines[2] == "   manifest: landing/_manifest.json"


def test_a_stage_note_with_brackets_prints_as_written(terminal: io.StringIO) -> None:
    with stage("ingesting [red]stores[/red]") as report:
        report.notes.append("set aside: stores/[bold]x[/].csv: unreadable")

    out = terminal.getvalue()
    assert "> ingesting [red]stores[/red] ..." in out
    assert "   set aside: stores/[bold]x[/].csv: unreadable" in out


def test_warnings_are_marked_and_library_records_stay_off_the_terminal(terminal: io.StringIO) -> None:
    logging.getLogger("lakehouse.ingest").warning("ingesting products failed: OSError")
    logging.getLogger("urllib3.connectionpool").warning("Retrying after connection broken")

    assert terminal.getvalue().splitlines() == ["warning ingesting products failed: OSError"]


def test_progress_draws_nothing_when_the_console_is_not_a_terminal(terminal: io.StringIO) -> None:
    assert list(track(range(3), "weeks", total=3)) == [0, 1, 2]

    assert terminal.getvalue() == ""
