"""Reading a Delta table into Arrow without a JVM, and without aborting the process at exit.

delta-rs's own ``to_pyarrow_table``/``to_pyarrow_dataset`` scan through a
pyarrow dataset whose C++ I/O threads can outlive the interpreter: about half
of short commands that read that way died at exit with ``terminate called
without an active exception`` (SIGABRT), after printing their answer. Reading
through delta-rs's DataFusion query engine keeps the scan in Rust, which joins
its threads before it returns.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
from deltalake.exceptions import TableNotFoundError


def delta_rs_uri(uri: str) -> str:
    """A lake URI as delta-rs names it: ``s3://`` where Spark says ``s3a://``; a folder as it is."""
    return "s3://" + uri.split("://", 1)[1] if uri.startswith("s3a://") else uri


def open_delta(uri: str, storage_options: Mapping[str, str]) -> DeltaTable | None:
    """The Delta table at a lake URI, opened with delta-rs (its log only, no JVM); None when there is none.

    Reading a table's version, id or history this way takes milliseconds
    where a Spark call takes most of a second.
    """
    try:
        return DeltaTable(delta_rs_uri(uri), storage_options=dict(storage_options) or None)
    except TableNotFoundError:
        return None


def arrow_schema(table: DeltaTable) -> pa.Schema:
    return pa.schema(table.schema().to_arrow())


def read_delta(table: DeltaTable, columns: list[str] | None = None) -> pa.Table:
    """``columns`` of ``table`` (all of them when None) at its current version, typed as the table declares.

    DataFusion answers strings as ``string_view``; the result is cast back to
    the declared types so callers meet the table's own schema.
    """
    schema = arrow_schema(table)
    if columns is not None:
        schema = pa.schema([schema.field(name) for name in columns])
    selected = ", ".join('"' + name.replace('"', '""') + '"' for name in schema.names)
    answer = QueryBuilder().register("delta_table", table).execute(f"SELECT {selected} FROM delta_table")
    return pa.table(answer).cast(schema)
