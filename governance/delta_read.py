"""Reading a Delta table into Arrow without a JVM, and without aborting the process at exit.

delta-rs's own ``to_pyarrow_table``/``to_pyarrow_dataset`` scan through a
pyarrow dataset whose C++ I/O threads can outlive the interpreter: about half
of short commands that read that way died at exit with ``terminate called
without an active exception`` (SIGABRT), after printing their answer. Reading
through delta-rs's DataFusion query engine keeps the scan in Rust, which joins
its threads before it returns.
"""

from __future__ import annotations

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder


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
