"""A step's Dagster log keeps the stage lines it logged, not the ticks that move the terminal's bar."""

from __future__ import annotations

import io
from pathlib import Path

import dagster as dg
import pytest

from lakehouse.progress import node_progress, stage

pytestmark = pytest.mark.unit


@dg.asset
def built_in_steps() -> None:
    with stage("building 3 models"), node_progress("dbt build") as advance:
        for done in range(1, 4):
            advance(done, 3)


def test_dagster_keeps_the_stage_lines_of_a_step_and_none_of_its_progress_ticks(
    tmp_path: Path, terminal: io.StringIO
) -> None:
    (tmp_path / "dagster.yaml").write_text(
        "python_logs:\n  managed_python_loggers: [lakehouse]\n  python_log_level: INFO\n"
    )
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        result = dg.materialize([built_in_steps], instance=instance)
        messages = [entry.user_message for entry in instance.all_logs(result.run_id) if entry.dagster_event is None]

    assert result.success
    assert any(message.startswith("> building 3 models") for message in messages), messages
    assert any(message.startswith("ok building 3 models") for message in messages), messages
    assert not [message for message in messages if "dbt build" in message]
