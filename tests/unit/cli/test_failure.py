"""A failure prints one line whatever its message holds, brackets that look like markup included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.failure import failure_mode, report_failure
from lakehouse.settings import get_settings

S3_ERROR = "getFileStatus on s3a://lake/landing: Unable to execute HTTP request: Connection refused [/127.0.0.1]"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_an_error_holding_a_closing_tag_prints_as_one_line_and_its_trace_goes_to_the_log(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_failure(OSError(f"{S3_ERROR}\nat org.apache.hadoop.fs.s3a.S3AFileSystem"))

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"error {S3_ERROR}"
    assert len(lines) == 2 and lines[1].startswith(f"   details: {data_dir / 'logs'}")
    assert "OSError" in next((data_dir / "logs").glob("lakehouse-*.log")).read_text()


def test_with_debug_the_trace_itself_goes_to_the_console(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failure_mode, "debug", True)

    try:
        raise OSError(S3_ERROR)
    except OSError as error:
        report_failure(error)

    out = capsys.readouterr().out
    assert out.startswith("Traceback (most recent call last):")
    assert f"OSError: {S3_ERROR}" in out
    assert not (data_dir / "logs").exists()
