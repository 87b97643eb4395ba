"""Each orchestrated dbt command gets a target folder of its own that starts from the platform's parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.dbt import PARTIAL_PARSE, dbt_step_target
from lakehouse.settings import Settings

pytestmark = pytest.mark.unit


def test_a_step_target_holds_the_parse_of_the_manifest_and_no_other_steps_files(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    parsed = tmp_path / "dbt" / "dagster" / PARTIAL_PARSE
    parsed.parent.mkdir(parents=True)
    parsed.write_bytes(b"parsed project")

    first = dbt_step_target(settings, "dbt_foundation-run1")
    (first / "run_results.json").write_text("{}")
    second = dbt_step_target(settings, "dbt_marts-run1")

    assert first != second
    assert (second / PARTIAL_PARSE).read_bytes() == b"parsed project"
    assert sorted(path.name for path in second.iterdir()) == [PARTIAL_PARSE]


def test_a_step_target_without_a_parse_to_start_from_is_empty(tmp_path: Path) -> None:
    assert list(dbt_step_target(Settings(data_dir=tmp_path), "dbt_marts-run2").iterdir()) == []
