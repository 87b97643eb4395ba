"""Appending bookkeeping rows with delta-rs, once per transaction id, and reading them back distinct."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable

from governance.delta_read import open_delta, read_delta
from governance.delta_write import append_rows_once

ROWS = pa.table(
    {"source_file": ["a.csv", "a.csv", "b.csv"], "at": pa.array([datetime(2026, 12, 4, 18, tzinfo=UTC)] * 3)}
)


def test_the_first_append_creates_the_table_and_a_rerun_with_the_same_id_commits_nothing(tmp_path: Path) -> None:
    uri = str(tmp_path / "ledger")

    append_rows_once(uri, {}, ROWS, "ledger:transactions:batch-1")
    append_rows_once(uri, {}, ROWS, "ledger:transactions:batch-1")

    table = DeltaTable(uri)
    assert table.version() == 0
    assert table.transaction_version("ledger:transactions:batch-1") == 0
    assert read_delta(table).num_rows == 3


def test_another_id_appends_and_the_distinct_read_keeps_each_file_once_with_its_declared_types(tmp_path: Path) -> None:
    uri = str(tmp_path / "ledger")
    append_rows_once(uri, {}, ROWS, "ledger:transactions:batch-1")

    append_rows_once(uri, {}, ROWS.slice(2), "ledger:transactions:batch-2")

    table = open_delta(uri, {})
    assert table is not None and table.version() == 1
    assert sorted(read_delta(table, ["source_file"]).column("source_file").to_pylist()) == [
        "a.csv", "a.csv", "b.csv", "b.csv"
    ]  # fmt: skip
    distinct = read_delta(table, ["source_file", "at"], distinct=True)
    assert sorted(distinct.column("source_file").to_pylist()) == ["a.csv", "b.csv"]
    assert distinct.schema.field("at").type == pa.timestamp("us", tz="UTC")
