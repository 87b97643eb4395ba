"""Silver's freshness is its newest row change, found however many upkeep commits came after it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakehouse.ingest import RECENT_COMMITS, silver_updated_at
from lakehouse.settings import Settings

pytestmark = pytest.mark.unit


def _commit_time(table: DeltaTable, version: int) -> datetime:
    (commit,) = [commit for commit in table.history() if commit["version"] == version]
    return datetime.fromtimestamp(commit["timestamp"] / 1000, UTC)


@pytest.mark.parametrize("upkeep_commits", [0, RECENT_COMMITS - 1, RECENT_COMMITS + 3])
def test_the_newest_write_is_found_behind_upkeep_commits(tmp_path: Path, upkeep_commits: int) -> None:
    settings = Settings(lake_uri=str(tmp_path / "lake"), data_dir=tmp_path / "data")
    silver = str(tmp_path / "lake" / "silver" / "households")
    write_deltalake(silver, pa.table({"household_id": [1, 2]}))
    write_deltalake(silver, pa.table({"household_id": [3]}), mode="append")
    table = DeltaTable(silver)
    for change in range(upkeep_commits):
        table.alter.set_table_properties({"delta.logRetentionDuration": f"interval {30 + change} days"})

    assert silver_updated_at(settings, "households") == _commit_time(DeltaTable(silver), 1)


def test_a_table_not_yet_written_has_no_update_time(tmp_path: Path) -> None:
    settings = Settings(lake_uri=str(tmp_path / "lake"), data_dir=tmp_path / "data")
    assert silver_updated_at(settings, "households") is None
