"""The warehouse's read-only view of the lake: ``silver.<table>`` for analysts and their SQL clients."""

import dagster as dg

from lakehouse.progress import stage
from orchestration.defs.lake.assets import silver_key
from orchestration.failures import TRANSIENT_RETRY
from orchestration.owners import PLATFORM_OWNER
from orchestration.resources import WarehouseResource
from spark_jobs.tables import TABLES


@dg.asset(
    key=dg.AssetKey(["warehouse", "silver_tables"]),
    deps=[silver_key(table) for table in TABLES],
    group_name="warehouse",
    kinds={"clickhouse"},
    owners=[PLATFORM_OWNER],
    retry_policy=TRANSIENT_RETRY,
)
def silver_tables(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every silver Delta table as ``silver.<table>``; ClickHouse's Delta engine reads its latest snapshot."""
    started = warehouse.ensure_serving()
    with stage("registering silver in the warehouse") as line:
        counts = warehouse.register_silver(list(TABLES))
        line.add(rows=sum(counts.values()))
        line.notes.append(f"silver.<table> for {len(counts)} tables; the analyst login reads them")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(counts.values()),
            "rows_by_table": dg.MetadataValue.json(counts),
            "started_the_embedded_warehouse": started,
        }
    )
