"""``lakehouse pii-scan``: look for raw personal data everywhere it must not be.

Silver and quarantine tables (read with delta-rs), every warehouse table (the
marts and what dbt builds beside them), export files, log files and Dagster's
storage. Each distinct text value is checked against the planted values of the
synthetic profiles (read from the landing zone, the one place they may be) and,
when it could hold one, by Presidio for every identifier the masker knows by
shape (``governance.pii_scan.PRESIDIO_ENTITIES``).
"""

from __future__ import annotations

import io
import ipaddress
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from deltalake import DeltaTable

from governance.delta_read import arrow_schema, read_delta
from governance.masking import build_analyzer
from governance.pii_scan import PRESIDIO_ENTITIES, Analyse, Finding, PiiScanner, PlantedValues
from governance.policy import Classification, default_policy
from lakehouse.ingest import lake_layout
from lakehouse.landing.storage import files_under, landing_store
from lakehouse.progress import stage
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client, is_serving
from spark_jobs.tables import TABLES

LOG_SUFFIXES = (".log", ".out", ".err", ".txt", ".jsonl", ".json")
EXPORT_SUFFIXES = (".csv", ".json", ".jsonl", ".txt", ".parquet")
WAREHOUSE_STRING_COLUMNS_SQL = """
SELECT c.database, c.table, c.name
FROM system.columns AS c
INNER JOIN system.tables AS t ON c.database = t.database AND c.table = t.name
WHERE c.type LIKE '%String%' AND t.engine NOT IN ('View', 'MaterializedView')
  AND t.engine NOT LIKE 'DeltaLake%' AND c.database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA')
ORDER BY c.database, c.table, c.name
"""


@dataclass
class ScanReport:
    findings: list[Finding]
    values_scanned: int
    places: int
    """Tables, files and columns looked at."""
    planted_values: int


def planted_values(settings: Settings) -> PlantedValues:
    """The synthetic profiles' raw values, from the customers feed in landing."""
    store = landing_store(settings)
    rows: list[dict[str, object]] = []
    for relative in files_under(store, "customers"):
        with store.filesystem.open_input_stream(store.path(relative)) as source:
            content = source.read()
        if content:
            options = pacsv.ConvertOptions(column_types={"phone": pa.string(), "postcode": pa.string()})
            rows.extend(pacsv.read_csv(io.BytesIO(content), convert_options=options).to_pylist())
    return PlantedValues.from_profiles(rows)


SCAN_SCORE_THRESHOLD = 0.5
"""Higher than the masker's 0.4: the masker errs towards masking, a finding must be an identifier for sure
(Presidio's phone recogniser scores the ``13.107542`` of a timestamp 0.4)."""


def _is_this_machine(entity: str, value: str) -> bool:
    """A loopback or unspecified address in a log is the platform talking to itself, nobody's address."""
    if entity != "IP_ADDRESS":
        return False
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def presidio(settings: Settings) -> Analyse:
    analyzer = build_analyzer(settings.presidio_model)

    def analyse(text: str) -> list[tuple[str, str, float]]:
        results = analyzer.analyze(
            text[:50_000], language="en", entities=list(PRESIDIO_ENTITIES), score_threshold=SCAN_SCORE_THRESHOLD
        )
        found = [(result.entity_type, text[result.start : result.end], result.score) for result in results]
        return [(entity, value, score) for entity, value, score in found if not _is_this_machine(entity, value)]

    return analyse


def _distinct_strings(table: pa.Table) -> Iterator[tuple[str, list[str]]]:
    for name in table.column_names:
        column = table[name]
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield name, [value for value in pc.unique(column).to_pylist() if value]


def _delta_tables(settings: Settings, zone: str) -> Iterator[tuple[str, DeltaTable]]:
    """Each table of a lake zone that exists, opened with delta-rs."""
    layout = lake_layout(settings)
    for table in TABLES:
        uri = layout.silver(table) if zone == "silver" else layout.quarantine(table)
        if (delta := layout.open_table(uri)) is not None:
            yield table, delta


def scan_silver(settings: Settings, scanner: PiiScanner) -> int:
    metadata = set(default_policy().metadata_columns)
    places = 0
    for table, delta in _delta_tables(settings, "silver"):
        strings = [field.name for field in arrow_schema(delta) if pa.types.is_string(field.type)]
        if not strings:
            continue
        for name, values in _distinct_strings(read_delta(delta, strings)):
            places += 1
            for value in values:
                scanner.scan(f"silver/{table} column {name}", value, with_presidio=name not in metadata)
    return places


def scan_quarantine(settings: Settings, scanner: PiiScanner) -> int:
    """Quarantined records: the policy applies there as in silver, so no raw value may remain.

    Each record's fields are scanned as silver's columns are: what the policy
    classifies as holding nothing personal (a coupon's UPC) gets the planted
    values only, not Presidio, whose phone shapes it would match.
    """
    policy = default_policy()
    places = 0
    for table, delta in _delta_tables(settings, "quarantine"):
        places += 1
        rules = policy.silver_columns(table)
        for _, values in _distinct_strings(read_delta(delta, ["_record"])):
            for value in values:
                for field, text in json.loads(value).items():
                    rule = rules.get(field)
                    plain = rule is not None and rule.classification is Classification.NONE
                    scanner.scan(f"quarantine/{table} column _record field {field}", str(text), not plain)
    return places


def scan_warehouse(settings: Settings, scanner: PiiScanner) -> int:
    if not is_serving(settings.clickhouse_url):
        raise ConnectionError(f"warehouse {settings.clickhouse_url} does not answer; the marts cannot be scanned")
    admin = admin_client(settings)
    columns = admin.query(WAREHOUSE_STRING_COLUMNS_SQL).result_rows
    for database, table, column in columns:
        values = admin.query(f"SELECT DISTINCT toString(`{column}`) FROM `{database}`.`{table}`").result_rows
        for (value,) in values:
            if value:
                scanner.scan(f"warehouse {database}.{table} column {column}", str(value))
    return len(columns)


def _files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file() and path.name.endswith(suffixes))


def scan_exports(settings: Settings, scanner: PiiScanner) -> int:
    files = _files(settings.exports_dir, EXPORT_SUFFIXES)
    for path in files:
        if path.suffix == ".parquet":
            for name, values in _distinct_strings(pq.read_table(path)):
                for value in values:
                    scanner.scan(f"export {path} column {name}", value)
            continue
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                scanner.scan(f"export {path} line {number}", line)
    return len(files)


def scan_logs(settings: Settings, scanner: PiiScanner) -> int:
    """Log lines get the planted values, and Presidio where a line is shaped like it could hold an identifier.

    A JSON log line (Dagster's daemon and sensors write them) is read for its
    strings: its numbers are thread ids and clock readings, never a person's.
    """
    files = _files(settings.data_dir / "logs", LOG_SUFFIXES) + _files(settings.dagster_home / "storage", LOG_SUFFIXES)
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                for text in _text_leaves(line.strip()):
                    scanner.scan(f"log {path} line {number}", text)
    return len(files)


DAGSTER_CODE_TABLES = frozenset({"snapshots", "alembic_version", "secondary_indexes", "instance_info"})
"""Dagster tables that hold its own bookkeeping and the code's definitions, never data."""


def _text_leaves(value: str) -> Iterator[str]:
    """The strings a Dagster record holds: the leaves of its JSON (metadata, messages, errors), or the text itself."""
    if value[:1] not in "{[":
        yield value
        return
    try:
        stack = [json.loads(value)]
    except ValueError:
        yield value
        return
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item:
            yield item


def _dagster_texts(path: Path) -> dict[str, set[str]]:
    """Per table of one Dagster SQLite file, the distinct strings its records hold."""
    texts: dict[str, set[str]] = {}
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as database:
        tables = [row[0] for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            if table in DAGSTER_CODE_TABLES:
                continue
            found = texts.setdefault(table, set())
            for row in database.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, str) and value:
                        found.update(_text_leaves(value))
    return texts


def scan_dagster_storage(settings: Settings, scanner: PiiScanner) -> int:
    """Dagster's SQLite storage (runs, event logs, schedules): every string its records hold.

    Asset metadata, step failure messages and run tags all land here, and the
    Dagster UI shows them to every operator. JSON records are read for their
    string leaves, each distinct one scanned once.
    """
    databases = sorted(settings.dagster_home.rglob("*.db")) if settings.dagster_home.exists() else []
    for path in databases:
        for table, texts in _dagster_texts(path).items():
            for text in texts:
                scanner.scan(f"dagster {path.name} table {table}", text)
    return len(databases)


def scan_for_pii(settings: Settings) -> ScanReport:
    with stage("reading the planted values of the synthetic profiles (landing)") as report:
        planted = planted_values(settings)
        report.add(rows=len(planted))
    scanner = PiiScanner(planted, presidio(settings))
    places = 0
    for name, scan in (
        ("silver tables", scan_silver),
        ("quarantine tables", scan_quarantine),
        ("warehouse tables (marts)", scan_warehouse),
        (f"exports ({settings.exports_dir})", scan_exports),
        ("log files", scan_logs),
        (f"Dagster's storage ({settings.dagster_home})", scan_dagster_storage),
    ):
        before = scanner.values_scanned
        with stage(f"scanning {name}") as report:
            scanned = scan(settings, scanner)
            places += scanned
            report.add(rows=scanner.values_scanned - before, files=scanned)
    return ScanReport(scanner.results, scanner.values_scanned, places, len(planted))
