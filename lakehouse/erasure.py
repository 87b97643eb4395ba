"""``lakehouse erase``: remove households from every layer, prove it, and write a receipt per request.

Order of work, each step safe to repeat:

1. find where each household is (lake tables, landing files, warehouse tables);
   the lake tables' files are searched without Spark first
   (``lakehouse.erasure_search``), and Spark starts only for a table they may hold;
2. landing: rewrite or delete the raw files that hold it (the policy says which),
   and tell the ledger the rewritten files are already ingested;
3. lake: DELETE from bronze, silver, quarantine and the models' gold scores,
   then VACUUM the history that held the rows (``spark_jobs.erasure``); and
   rewrite the kept training datasets without them;
4. warehouse: delete from every table keyed by household (the marts and the
   models' ``ml`` scores), then rebuild with dbt the aggregates built from
   household rows;
5. verify: nothing of the household in any table, readable Delta version, landing
   file or warehouse table. A concurrent ingestion that wrote it back makes the
   steps run again; if it is still there, the erasure fails naming where.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyspark.sql import SparkSession

from governance.audit import AuditRecord
from governance.erasure import (
    ErasureReceipt,
    ErasureRequest,
    RemovedRows,
    clear_pending,
    mark_pending,
    now_utc,
    pending_households,
    read_receipts,
    write_receipt,
)
from governance.policy import default_policy
from lakehouse.audit_trail import code_version, record_audit
from lakehouse.dbt import build_marts, dbt_manifest
from lakehouse.erasure_search import may_hold
from lakehouse.ingest import lake_layout
from lakehouse.landing.erase import (
    LandingErasureResult,
    erase_from_landing,
    household_feeds,
    landing_files_holding,
)
from lakehouse.landing.storage import landing_store
from lakehouse.ml_datasets import datasets_holding, erase_from_datasets
from lakehouse.progress import stage
from lakehouse.reconciliation import record_landing_sales
from lakehouse.score_tables import SCORE_TABLES
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client, is_serving
from spark_jobs.delta_io import table_exists
from spark_jobs.erasure import (
    delete_rows,
    files_holding,
    household_condition,
    household_key,
    purge_history,
    versions_holding,
)
from spark_jobs.ingest import append_to_ledger, ledger_entries
from spark_jobs.session import SparkSource
from spark_jobs.tables import TABLES

VERIFY_ROUNDS = 3
HOUSEHOLD_TABLES_SQL = """
SELECT c.database, c.table
FROM system.columns AS c
INNER JOIN system.tables AS t ON c.database = t.database AND c.table = t.name
WHERE c.name = 'household_id' AND t.engine LIKE '%MergeTree'
  AND c.database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA')
ORDER BY c.database, c.table
"""


def warehouse_condition(households: list[int]) -> str:
    """ClickHouse SQL matching the households' rows (its household keys are typed, never text)."""
    return f"household_id IN ({', '.join(str(int(household)) for household in sorted(households))})"


class ErasureIncompleteError(RuntimeError):
    """The household was still found after every round of erasure; the message names where."""


@dataclass(frozen=True)
class DeltaLocation:
    zone: str
    table: str
    path: str
    in_json_record: bool = False

    @property
    def name(self) -> str:
        return f"{self.zone}/{self.table}"


@dataclass
class ErasureOutcome:
    household_id: int
    status: str
    """``erased``, ``already_erased`` (answered from an earlier receipt) or ``unknown``."""
    receipt: ErasureReceipt | None = None
    receipt_file: Path | None = None


@dataclass
class _Found:
    """Rows per household, per place, gathered while erasing."""

    rows: dict[int, list[RemovedRows]] = field(default_factory=dict)

    def add(self, household: int, item: RemovedRows) -> None:
        if item.rows:
            self.rows.setdefault(household, []).append(item)


def delta_locations(settings: Settings) -> list[DeltaLocation]:
    """Every lake table that can hold a household's rows: bronze, silver and the models' gold scores by column,
    quarantine by record."""
    layout = lake_layout(settings)
    keyed = [spec.name for spec in household_feeds()]
    return [
        *(DeltaLocation("bronze", name, layout.bronze(name)) for name in keyed),
        *(DeltaLocation("silver", name, layout.silver(name)) for name in keyed),
        *(DeltaLocation("quarantine", name, layout.quarantine(name), in_json_record=True) for name in TABLES),
        *(DeltaLocation("gold", scores.name, layout.gold(scores.name)) for scores in SCORE_TABLES.values()),
    ]


def _rows_by_household(spark: SparkSession, location: DeltaLocation, households: list[int]) -> dict[int, int]:
    if not table_exists(spark, location.path):
        return {}
    household = household_key(location.in_json_record)
    counted = (
        spark.read.format("delta").load(location.path)
        .where(household_condition(households, location.in_json_record))
        .selectExpr(f"{household} as household").groupBy("household").count().collect()
    )  # fmt: skip
    return {int(row["household"]): int(row["count"]) for row in counted}


def locations_that_may_hold(
    settings: Settings, locations: list[DeltaLocation], households: list[int]
) -> list[DeltaLocation]:
    """The lake tables with a data file, of the current version or an earlier one, that may hold the households."""
    return [loc for loc in locations if may_hold(settings, loc.path, households, loc.in_json_record)]


def _erase_from_lake(spark_source: SparkSource, settings: Settings, households: list[int], found: _Found) -> None:
    """DELETE the rows, then VACUUM every table whose readable history still holds them."""
    every_location = delta_locations(settings)
    with stage(f"searching the files of {len(every_location)} lake tables") as report:
        locations = locations_that_may_hold(settings, every_location, households)
        report.notes.append(f"{len(locations)} may hold the household(s); Spark reads only those")
    if not locations:
        return
    spark = spark_source()
    for location in locations:
        counts = _rows_by_household(spark, location, households)
        if not counts:
            continue
        with stage(f"erasing from {location.name}") as report:
            condition = household_condition(households, location.in_json_record)
            erased = delete_rows(spark, location.path, condition, matching=sum(counts.values()))
            report.add(rows=erased.rows_removed)
            report.notes.append(f"DELETE committed as version {erased.delete_version}")
        for household, rows in counts.items():
            found.add(household, RemovedRows(location.zone, location.name, rows, history_purged=True))
    holding = _tables_whose_files_hold(spark, locations, households)
    if holding:
        with stage(f"vacuuming the history of {len(holding)} table(s) that held the rows") as report:
            for path in holding:
                purge_history(spark, path)
                report.add(files=1)


def _erase_from_landing(settings: Settings, households: list[int], ledger_batch: str, found: _Found) -> None:
    store = landing_store(settings)
    with stage(f"erasing from landing files ({default_policy().erasure.landing.value})") as report:
        results = erase_from_landing(store, set(households), default_policy().erasure.landing)
        report.add(rows=sum(result.rows_removed for result in results), files=len(results))
    _mark_rewritten_as_ingested(settings, results, ledger_batch)
    for result in results:
        for household, rows in result.rows_by_household.items():
            found.add(household, RemovedRows("landing", f"{store.uri_of(result.relative_path)}", rows, result.action))


def _mark_rewritten_as_ingested(settings: Settings, results: list[LandingErasureResult], ledger_batch: str) -> None:
    """A rewritten file has a new checksum: when its earlier version was ingested, the ledger records the new one.

    Ingestion then does not take the file for a correction. A version never ingested (a correction that landed
    after the last run) stays new, so the next ingestion still brings in what it corrects.
    """
    layout = lake_layout(settings)
    ledger = {table: ledger_entries(layout, table) for table in {result.table for result in results}}
    entries = [
        (result.table, result.relative_path, result.new_checksum, f"erasure:{ledger_batch}", result.rows_left, None,
         None, default_policy().version, datetime.now(UTC))
        for result in results
        if result.new_checksum is not None
        and result.old_checksum in ledger[result.table].get(result.relative_path, set())
    ]  # fmt: skip
    if entries:
        append_to_ledger(layout, entries, f"ledger:erasure:{ledger_batch}")


def _erase_from_datasets(settings: Settings, households: list[int], found: _Found) -> None:
    """Rewrite the kept training datasets' channel files without the households (``data/ml/datasets``)."""
    with stage("erasing from kept training datasets") as report:
        removed = erase_from_datasets(settings, set(households))
        report.add(rows=sum(rows for _, _, rows in removed), files=len({path for path, _, _ in removed}))
    for path, household, rows in removed:
        found.add(household, RemovedRows("ml_datasets", str(path), rows, "rewritten"))


def _household_tables(settings: Settings) -> list[tuple[str, str]]:
    admin = admin_client(settings)
    return [(str(database), str(table)) for database, table in admin.query(HOUSEHOLD_TABLES_SQL).result_rows]


def _erase_from_warehouse(settings: Settings, households: list[int], found: _Found) -> list[str]:
    """Delete from every warehouse table keyed by household; rebuild the aggregates built from them."""
    if not is_serving(settings.clickhouse_url):
        raise ErasureIncompleteError(
            f"warehouse {settings.clickhouse_url} does not answer: the marts still hold the households; "
            "start it (`lakehouse warehouse start`) and erase again"
        )
    admin = admin_client(settings)
    condition = warehouse_condition(households)
    keyed = _household_tables(settings)
    with stage("erasing from the warehouse's household tables") as report:
        for database, table in keyed:
            counted = admin.query(
                f"SELECT household_id, count() FROM `{database}`.`{table}` WHERE {condition} GROUP BY household_id"
            ).result_rows
            if not counted:
                continue
            admin.command(f"ALTER TABLE `{database}`.`{table}` DELETE WHERE {condition} SETTINGS mutations_sync = 2")
            for household, rows in counted:
                found.add(int(household), RemovedRows("warehouse", f"{database}.{table}", int(rows)))
                report.add(rows=int(rows))
    existing = {(str(database), str(name)) for database, name in admin.query(
        "SELECT database, name FROM system.tables WHERE database NOT IN ('system', 'information_schema', "
        "'INFORMATION_SCHEMA')"
    ).result_rows}  # fmt: skip
    rebuilt = derived_models(settings, set(keyed), existing) if found.rows else []
    if rebuilt:
        with stage(f"rebuilding {len(rebuilt)} aggregate(s) built from household rows (dbt)") as report:
            build = build_marts(
                settings, "--full-refresh", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
                "--select", *rebuilt,
            )  # fmt: skip
            report.add(rows=build.passed)
            report.notes.append(
                f"{build.passed} of {build.nodes} models rebuilt; their tests run with the next marts build; "
                f"log {build.log}"
            )
    return rebuilt


def derived_models(settings: Settings, keyed_tables: set[tuple[str, str]], existing: set[tuple[str, str]]) -> list[str]:
    """Built tables that hold no household key but are built, through any chain, from a household's rows."""
    manifest = json.loads(dbt_manifest(settings).read_text())
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    feeds = {spec.name for spec in household_feeds()}
    household_sources = {uid for uid, source in manifest["sources"].items() if source["name"] in feeds}

    def relation(node: dict[str, str]) -> tuple[str, str]:
        return node["schema"], node["alias"] or node["name"]

    tainted: dict[str, bool] = {}

    def is_tainted(uid: str) -> bool:
        if uid not in tainted:
            parents = models[uid]["depends_on"]["nodes"]
            tainted[uid] = any(
                parent in household_sources or (parent in models and is_tainted(parent)) for parent in parents
            )
        return tainted[uid]

    return sorted(
        node["name"]
        for uid, node in models.items()
        if node["config"]["materialized"] != "view" and relation(node) in existing - keyed_tables and is_tainted(uid)
    )


def _tables_whose_files_hold(spark: SparkSession, locations: list[DeltaLocation], households: list[int]) -> list[str]:
    """Of ``locations``, the tables with a data file, of the current version or an earlier one, holding the rows."""
    return [
        location.path
        for location in locations
        if table_exists(spark, location.path)
        and files_holding(spark, location.path, household_condition(households, location.in_json_record))[1]
    ]


def versions_still_holding(
    spark_source: SparkSource, settings: Settings, households: list[int]
) -> dict[str, list[int]]:
    """Lake table path -> its versions, readable by time travel, that still hold any of the households."""
    holding = {}
    for location in locations_that_may_hold(settings, delta_locations(settings), households):
        condition = household_condition(households, location.in_json_record)
        versions = versions_holding(spark_source(), location.path, condition)
        if versions:
            holding[location.path] = versions
    return holding


def find_remains(spark: SparkSource, settings: Settings, households: list[int]) -> list[str]:
    """Every place that still holds any of the households: tables, readable Delta versions, landing files,
    training datasets, marts."""
    remains = [
        f"{path} (Delta version{'s' if len(versions) > 1 else ''} {', '.join(map(str, versions))})"
        for path, versions in versions_still_holding(spark, settings, households).items()
    ]
    store = landing_store(settings)
    for spec in household_feeds():
        remains.extend(store.uri_of(path) for path in landing_files_holding(store, spec.name, set(households)))
    remains.extend(f"training dataset file {path}" for path in datasets_holding(settings, set(households)))
    if is_serving(settings.clickhouse_url):
        admin = admin_client(settings)
        condition = warehouse_condition(households)
        for database, table in _household_tables(settings):
            rows = int(admin.query(f"SELECT count() FROM `{database}`.`{table}` WHERE {condition}").result_rows[0][0])
            if rows:
                remains.append(f"warehouse table {database}.{table} ({rows} rows)")
    return remains


def _request_id(household: int, started: datetime) -> str:
    return f"{started:%Y%m%dT%H%M%S%fZ}-household-{household}"


def _previous_receipts(settings: Settings, households: Iterable[int]) -> dict[int, ErasureReceipt]:
    wanted = set(households)
    return {receipt.household_id: receipt for receipt in read_receipts(settings.erasure_receipts_dir)
            if receipt.household_id in wanted}  # fmt: skip


def erase_households(
    spark: SparkSource, settings: Settings, requests: list[ErasureRequest], requested_by: str | None = None
) -> list[ErasureOutcome]:
    """Erase every requested household found anywhere; answer the others (already erased, unknown).

    ``spark`` is called only when a lake table may hold a household: a household found nowhere
    is answered without a JVM.

    Each household is put in the register as pending before anything is touched, so an erasure that
    fails half way still keeps landing from bringing it back, and its rerun completes it with a receipt.
    A failure is recorded in the audit trail before it is raised.
    """
    actor = requested_by or getpass.getuser()
    started = datetime.now(UTC)
    requests = list({request.household_id: request for request in reversed(requests)}.values())[::-1]
    households = [request.household_id for request in requests]
    request_ids = {household: _request_id(household, started) for household in households}
    interrupted = pending_households(settings.erasure_receipts_dir)
    for household in households:
        mark_pending(settings.erasure_receipts_dir, request_ids[household], household)
    try:
        found, rebuilt = _erase_everywhere(spark, settings, households, f"{started:%Y%m%dT%H%M%S%fZ}")
    except Exception as error:
        for household in households:
            record_audit(
                settings,
                AuditRecord(
                    action="erasure",
                    subject=f"erasure request {request_ids[household]}",
                    outcome="failed",
                    actor=actor,
                    detail=f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
                    reference="household stays in the register as pending; erase it again to complete",
                ),
            )
        raise

    earlier = _previous_receipts(settings, households)
    outcomes = []
    for request in requests:
        household = request.household_id
        removed = found.rows.get(household, [])
        if not removed and household not in interrupted:
            clear_pending(settings.erasure_receipts_dir, request_ids[household])
            status = "already_erased" if household in earlier else "unknown"
            outcomes.append(ErasureOutcome(household, status, earlier.get(household)))
            continue
        receipt = ErasureReceipt(
            request_id=request_ids[household],
            household_id=household,
            reference=request.reference,
            requested_by=actor,
            policy_version=default_policy().version,
            code_version=code_version(),
            started_at=started.isoformat(timespec="seconds"),
            finished_at=now_utc(),
            removed=removed,
            rebuilt=rebuilt,
        )
        path = write_receipt(settings.erasure_receipts_dir, receipt)
        clear_pending(settings.erasure_receipts_dir, request_ids[household], household)
        record_audit(
            settings,
            AuditRecord(
                action="erasure",
                subject=f"erasure request {receipt.request_id}",
                outcome="succeeded",
                actor=actor,
                detail=f"removed from {len(removed)} place(s), earlier versions vacuumed"
                if removed
                else "completed an interrupted erasure: nothing of the household was left",
                reference=str(path),
                counts=receipt.rows_by_zone(),
            ),
        )
        outcomes.append(ErasureOutcome(household, "erased", receipt, path))
    return outcomes


def _erase_everywhere(
    spark: SparkSource, settings: Settings, households: list[int], batch_id: str
) -> tuple[_Found, list[str]]:
    """Landing, lake, warehouse, then verification, in rounds until nothing is left."""
    found = _Found()
    rebuilt: list[str] = []
    for round_number in range(1, VERIFY_ROUNDS + 1):
        _erase_from_landing(settings, households, f"{batch_id}-{round_number}", found)
        _erase_from_lake(spark, settings, households, found)
        _erase_from_datasets(settings, households, found)
        record_landing_sales(settings, lake_layout(settings))
        if is_serving(settings.clickhouse_url) or found.rows:
            rebuilt = _erase_from_warehouse(settings, households, found) or rebuilt
        with stage("verifying: tables, every readable Delta version, landing files, datasets, warehouse") as report:
            remains = find_remains(spark, settings, households)
            report.notes.append("nothing left" if not remains else f"{len(remains)} place(s) still hold it")
        if not remains:
            return found, rebuilt
    raise ErasureIncompleteError(
        f"households {', '.join(map(str, households))} still found after {VERIFY_ROUNDS} rounds of erasure "
        f"(a concurrent writer keeps adding them?): {'; '.join(remains[:5])}"
    )
