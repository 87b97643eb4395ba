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

from governance.delta_read import delta_rs_uri, open_delta, reading


def append_rows_once(uri: str, storage_options: Mapping[str, str], rows: pa.Table, app_id: str) -> bool:
    """Append ``rows`` to the table at a lake URI (created by the first append) unless ``app_id`` is committed.

    True when this call committed them. A concurrent commit of the same
    ``app_id`` is a conflict delta-rs refuses, as Spark does.
    """
    table = open_delta(uri, storage_options)
    if table is not None and table.transaction_version(app_id) is not None:
        return False
    with reading(uri, "appending to"):
        write_deltalake(
            table if table is not None else delta_rs_uri(uri),
            rows,
            mode="append",
            storage_options=dict(storage_options) or None,
            commit_properties=CommitProperties(app_transactions=[Transaction(app_id, 0)]),
        )
    return True
