"""Reconciliation against the landing: each week's sales as the landing files hold them, beside the marts'.

The landing's figures come from the landing files themselves, not from the
lake. They count every transactions file whose current contents the ledger
lists as ingested, less the rows quarantine holds for that file (matched on
file, key and values, one for one). Each line (household, basket, product)
counts once, with the newest file's values, and households erased since are
left out. DuckDB does the arithmetic, so no step of Spark's ingestion grades
its own work.

An ingestion of transactions that brings new files (and an erasure) records the
figures in ``silver/_reconciliation/landing_sales_weekly``;
dbt's ``fct_sales_lines_reconciles_with_landing`` test (a Dagster check on the
mart) compares them with the mart week by week, and ``lakehouse reconcile``
computes them afresh and prints both side by side.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import write_deltalake

from governance.delta_read import delta_rs_uri, read_delta
from governance.erasure import erased_households
from lakehouse.landing.storage import LandingStore, files_under, landing_store
from lakehouse.progress import stage
from lakehouse.settings import Settings
from spark_jobs.ingest import LakeLayout

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

SALES_FEED = "transactions"
LANDING_SALES_WEEKLY = "silver/_reconciliation/landing_sales_weekly"
"""Where ingestion records the landing's figures, relative to the lake root: the dbt source
``reconciliation.landing_sales_weekly``. Inside silver, the one zone the warehouse may read."""

KEY = ("household_id", "basket_id", "product_id")
MATCHED = ("week", "quantity", "sales_value")
"""Besides the key, what ties a quarantined row to its landed row (two rows of a file may share a key)."""
ERASURE_BATCH = "erasure:"
"""The ledger's batch id for a file erasure rewrote: its rows (quarantine's too) are the earlier version's."""

FIGURES = ("lines", "baskets", "households", "units", "sales_value")
SCHEMA = pa.schema(
    [
        pa.field("week", pa.int32()),
        pa.field("lines", pa.int64()),
        pa.field("baskets", pa.int64()),
        pa.field("households", pa.int64()),
        pa.field("units", pa.int64()),
        pa.field("sales_value", pa.decimal128(38, 2)),
    ]
)

TYPED_LINES = """
    select
        _source_file, _version, _ingested_at,
        try_cast(household_id as bigint) as household_id,
        try_cast(basket_id as bigint) as basket_id,
        try_cast(product_id as bigint) as product_id,
        try_cast(week as integer) as week,
        try_cast(quantity as bigint) as quantity,
        if(abs(exact - round(exact, 2)) < 1e-9, cast(round(exact, 2) as decimal(18, 2)), null) as sales_value
    from (select *, try_cast(sales_value as decimal(38, 18)) as exact from landed)
"""
"""Landed values typed as silver types them: an amount within 1e-9 of a whole cent is that cent, else not money."""

QUARANTINED_LINES = """
    select
        _source_file, _source_checksum as _version,
        try_cast(json_extract_string(_record, '$.household_id') as bigint) as household_id,
        try_cast(json_extract_string(_record, '$.basket_id') as bigint) as basket_id,
        try_cast(json_extract_string(_record, '$.product_id') as bigint) as product_id,
        try_cast(json_extract_string(_record, '$.week') as integer) as week,
        try_cast(json_extract_string(_record, '$.quantity') as bigint) as quantity,
        try_cast(json_extract_string(_record, '$.sales_value') as decimal(18, 2)) as sales_value
    from quarantine
"""

_MATCH = ("_source_file", "_version", *KEY, *MATCHED)
_NUMBERED = "row_number() over (partition by {columns} order by _source_file) as _copy"
WEEKLY_FIGURES = f"""
    with typed as ({TYPED_LINES}),
    rejected as ({QUARANTINED_LINES}),
    landed_copies as (select *, {_NUMBERED.format(columns=", ".join(_MATCH))} from typed),
    rejected_copies as (select *, {_NUMBERED.format(columns=", ".join(_MATCH))} from rejected),
    accepted as (
        select landed_copies.* from landed_copies
        anti join rejected_copies on {
    " and ".join(f"landed_copies.{name} is not distinct from rejected_copies.{name}" for name in (*_MATCH, "_copy"))
}
    ),
    lines as (
        select * from accepted
        where household_id is null or household_id not in (select household_id from erased)
        qualify row_number() over (partition by {", ".join(KEY)} order by _ingested_at desc, _source_file desc) = 1
    )
    select
        cast(week as integer) as week,
        count(*) as lines,
        count(distinct basket_id) as baskets,
        count(distinct household_id) as households,
        cast(sum(quantity) as bigint) as units,
        cast(sum(sales_value) as decimal(38, 2)) as sales_value
    from lines
    group by week
    order by week
"""


@dataclass(frozen=True)
class LedgerEntry:
    source_file: str
    checksum: str
    batch_id: str
    ingested_at: datetime


def _ledger(settings: Settings, layout: LakeLayout) -> dict[str, list[LedgerEntry]]:
    """Each ingested sales file's ledger entries, oldest first."""
    delta = layout.open_table(layout.ledger)
    if delta is None:
        return {}
    columns = ["table", "source_file", "source_checksum", "batch_id", "ingested_at"]
    entries: dict[str, list[LedgerEntry]] = {}
    for row in read_delta(delta, columns).to_pylist():
        if row["table"] == SALES_FEED:
            entry = LedgerEntry(row["source_file"], row["source_checksum"], row["batch_id"], row["ingested_at"])
            entries.setdefault(entry.source_file, []).append(entry)
    return {path: sorted(found, key=lambda entry: entry.ingested_at) for path, found in entries.items()}


def ingested_version(entries: list[LedgerEntry], checksum: str) -> LedgerEntry | None:
    """The ingestion that brought in the file as it now reads: through erasure's rewrites back to its ingestion.

    None when these contents were never ingested (landed since, or set aside).
    """
    current = next((entry for entry in reversed(entries) if entry.checksum == checksum), None)
    while current is not None and current.batch_id.startswith(ERASURE_BATCH):
        earlier = [entry for entry in entries if entry.ingested_at < current.ingested_at]
        current = earlier[-1] if earlier else None
    return current


def _landed_files(store: LandingStore, ledger: dict[str, list[LedgerEntry]]) -> Iterator[pa.Table]:
    """Each ingested sales file's lines as text, with the file, the version quarantine knows it by, and when."""
    wanted = ("household_id", "basket_id", "product_id", "week", "quantity", "sales_value")
    for relative in files_under(store, SALES_FEED):
        with store.filesystem.open_input_stream(store.path(relative)) as source:
            content = source.read()
        ingested = ingested_version(ledger.get(relative, []), hashlib.sha256(content).hexdigest())
        if ingested is None:
            continue
        table = pq.read_table(io.BytesIO(content))
        columns = {name: pc.cast(table[name], pa.string()) for name in wanted}
        rows = table.num_rows
        yield pa.table(
            {
                **columns,
                "_source_file": pa.array([relative] * rows, pa.string()),
                "_version": pa.array([ingested.checksum] * rows, pa.string()),
                "_ingested_at": pa.array([ingested.ingested_at] * rows, pa.timestamp("us")),
            }
        )


def _quarantine(settings: Settings, layout: LakeLayout) -> pa.Table:
    delta = layout.open_table(layout.quarantine(SALES_FEED))
    if delta is None:
        return pa.table({"_source_file": [], "_source_checksum": [], "_record": []}, schema=pa.schema(
            [("_source_file", pa.string()), ("_source_checksum", pa.string()), ("_record", pa.string())]
        ))  # fmt: skip
    return read_delta(delta, ["_source_file", "_source_checksum", "_record"])


def landing_sales_weekly(settings: Settings, layout: LakeLayout) -> pa.Table:
    """Each week's lines, baskets, households, units and sales as the ingested landing files hold them."""
    store = landing_store(settings)
    files = list(_landed_files(store, _ledger(settings, layout)))
    if not files:
        return SCHEMA.empty_table()
    landed = pa.concat_tables(files)
    quarantine = _quarantine(settings, layout)
    erased = pa.table({"household_id": pa.array(sorted(erased_households(settings.erasure_receipts_dir)), pa.int64())})
    with duckdb.connect() as connection:
        for name, table in (("landed", landed), ("quarantine", quarantine), ("erased", erased)):
            connection.register(name, table)
        return connection.sql(WEEKLY_FIGURES).to_arrow_table().cast(SCHEMA)


def landing_sales_recorded(layout: LakeLayout) -> bool:
    return layout.open_table(f"{layout.root}/{LANDING_SALES_WEEKLY}") is not None


def record_landing_sales(settings: Settings, layout: LakeLayout) -> pa.Table:
    """Compute the landing's figures and replace the recorded ones (every week); returns them."""
    with stage("recording the landing's weekly sales, for reconciliation with the marts") as line:
        figures = landing_sales_weekly(settings, layout)
        write_deltalake(
            delta_rs_uri(f"{layout.root}/{LANDING_SALES_WEEKLY}"),
            figures,
            mode="overwrite",
            schema_mode="overwrite",
            storage_options=settings.delta_rs_storage_options or None,
        )
        line.add(rows=pc.sum(figures["lines"]).as_py() or 0)
        line.notes.append(f"{figures.num_rows} weeks, {delta_rs_uri(layout.root)}/{LANDING_SALES_WEEKLY}")
    return figures


@dataclass(frozen=True)
class WeekComparison:
    week: int
    landing: dict[str, int | Decimal]
    marts: dict[str, int | Decimal]

    @property
    def differences(self) -> list[str]:
        return [name for name in FIGURES if self.landing.get(name, 0) != self.marts.get(name, 0)]


MART_WEEKLY = """
    SELECT week, count() AS lines, uniqExact(basket_id) AS baskets, uniqExact(household_id) AS households,
           sum(item_units + fuel_quantity) AS units, sum(sales_value) AS sales_value
    FROM category.fct_sales_lines
    GROUP BY week
    ORDER BY week
"""


def marts_sales_weekly(client: Client) -> pa.Table:
    """The same figures from ``category.fct_sales_lines``, read through a warehouse client."""
    return client.query_arrow(MART_WEEKLY).cast(SCHEMA)


def compare_weeks(landing: pa.Table, marts: pa.Table) -> list[WeekComparison]:
    """Every week either side holds, in order, each side's figures (a side without the week holds none)."""
    by_week = [{row["week"]: row for row in side.to_pylist()} for side in (landing, marts)]
    weeks = sorted(set(by_week[0]) | set(by_week[1]))
    return [
        WeekComparison(
            week,
            {name: by_week[0].get(week, {}).get(name, 0) for name in FIGURES},
            {name: by_week[1].get(week, {}).get(name, 0) for name in FIGURES},
        )
        for week in weeks
    ]


def first_difference(weeks: list[WeekComparison]) -> str | None:
    """The first week and figure where the marts differ from the landing, in words; None when they agree."""
    for week in weeks:
        if differences := week.differences:
            name = differences[0]
            return (
                f"week {week.week}: {name} {week.marts[name]:,} in category.fct_sales_lines against "
                f"{week.landing[name]:,} in the landing"
            )
    return None
