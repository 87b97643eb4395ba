"""Reading a Delta table into Arrow without a JVM, and without aborting the process at exit.

delta-rs's own ``to_pyarrow_table``/``to_pyarrow_dataset`` scan through a
pyarrow dataset whose C++ I/O threads can outlive the interpreter: about half
of short commands that read that way died at exit with ``terminate called
without an active exception`` (SIGABRT), after printing their answer. Reading
through delta-rs's DataFusion query engine keeps the scan in Rust, which joins
its threads before it returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
from deltalake.exceptions import TableNotFoundError

_TERMINAL_STYLE = re.compile(r"\x1b\[[0-9;]*m")
_REQUEST = re.compile(r"\b(?:GET|HEAD|PUT|POST|DELETE) https?://\S+")


class LakeStoreError(OSError):
    """The lake's storage did not answer a delta-rs read: names the table, the storage's last word and the request."""


@contextmanager
def reading(table_uri: str, action: str = "reading") -> Iterator[None]:
    """Reads (or the ``action``) of ``table_uri`` inside fail as one LakeStoreError line, not delta-rs's indented
    chain of causes."""
    try:
        yield
    except LakeStoreError:
        raise
    except OSError as error:
        raise _store_failure(table_uri, error, action) from error


def _store_failure(table_uri: str, error: OSError, action: str) -> LakeStoreError:
    text = _TERMINAL_STYLE.sub("", str(error))
    causes = [line.strip().removeprefix("↳").strip() for line in text.splitlines()]
    causes = [cause for cause in causes if cause]
    reason = causes[-1] if causes else type(error).__name__
    request = _REQUEST.search(text)
    where = f" ({request.group(0)})" if request else ""
    return LakeStoreError(f"{action} the lake table {table_uri} failed: {reason}{where}")


def delta_rs_uri(uri: str) -> str:
    """A lake URI as delta-rs names it: ``s3://`` where Spark says ``s3a://``; a folder as it is."""
    return "s3://" + uri.split("://", 1)[1] if uri.startswith("s3a://") else uri


def open_delta(uri: str, storage_options: Mapping[str, str], version: int | None = None) -> DeltaTable | None:
    """The Delta table at a lake URI (at ``version`` when given), opened with delta-rs (its log only, no JVM).

    None when there is no table. Reading a table's version, id or history
    this way takes milliseconds where a Spark call takes most of a second.
    """
    try:
        with reading(uri):
            return DeltaTable(delta_rs_uri(uri), version=version, storage_options=dict(storage_options) or None)
    except TableNotFoundError:
        return None


def commits(table: DeltaTable, limit: int | None = None) -> list[dict[str, Any]]:
    """The table's commits, newest first (the last ``limit`` of them when given)."""
    with reading(table.table_uri):
        return table.history(limit)


def arrow_schema(table: DeltaTable) -> pa.Schema:
    return pa.schema(table.schema().to_arrow())


def read_delta(table: DeltaTable, columns: list[str] | None = None, distinct: bool = False) -> pa.Table:
    """``columns`` of ``table`` (all of them when None) at its current version, typed as the table declares.

    ``distinct`` keeps each combination of values once. DataFusion answers
    strings as ``string_view``; the result is cast back to the declared types
    so callers meet the table's own schema.
    """
    schema = arrow_schema(table)
    if columns is not None:
        schema = pa.schema([schema.field(name) for name in columns])
    selected = ", ".join('"' + name.replace('"', '""') + '"' for name in schema.names)
    with reading(table.table_uri):
        query = f"SELECT {'DISTINCT ' if distinct else ''}{selected} FROM delta_table"
        answer = QueryBuilder().register("delta_table", table).execute(query)
        return pa.table(answer).cast(schema)
