"""Appending a few rows to a Delta table without a JVM, once per transaction id.

For bookkeeping tables (the ingestion ledger) whose commits carry a handful
of rows: a Spark append of the same rows plans a job, runs a Parquet task and
replays the log, over a second each time; delta-rs commits them in
milliseconds. The transaction id (an app transaction in the log, as Spark's
``txnAppId`` writes) makes a rerun after a crash commit nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
from deltalake import CommitProperties, Transaction, write_deltalake
from deltalake.exceptions import DeltaError

from governance.delta_read import delta_rs_uri, open_delta, reading


def append_rows_once(uri: str, storage_options: Mapping[str, str], rows: pa.Table, app_id: str) -> None:
    """Append ``rows`` to the table at a lake URI (created by the first append) unless ``app_id`` is committed.

    A concurrent commit of the same ``app_id`` is a conflict delta-rs
    refuses, as Spark does. Two writers creating the table at once cannot
    both: the one that finds it created appends to it, checking ``app_id`` first.
    """
    options = dict(storage_options) or None
    commit = CommitProperties(app_transactions=[Transaction(app_id, 0)])
    table = open_delta(uri, storage_options)
    if table is None:
        try:
            with reading(uri, "creating"):
                write_deltalake(
                    delta_rs_uri(uri), rows, mode="error", storage_options=options, commit_properties=commit
                )
            return
        except DeltaError:
            table = open_delta(uri, storage_options)
            if table is None:
                raise
    if table.transaction_version(app_id) is not None:
        return
    with reading(uri, "appending to"):
        write_deltalake(table, rows, mode="append", commit_properties=commit)
