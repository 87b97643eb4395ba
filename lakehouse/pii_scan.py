"""``lakehouse pii-scan``: look for raw personal data everywhere it must not be.

Silver tables (read with delta-rs), every warehouse table (the marts and what
dbt builds beside them), export files and log files. Each distinct text value is
checked against the planted values of the synthetic profiles (read from the
landing zone, the one place they may be) and, when it could hold one, by
Presidio for emails, phones, payment and loyalty cards.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from governance.masking import SCORE_THRESHOLD, build_analyzer
from governance.pii_scan import PRESIDIO_ENTITIES, Analyse, Finding, PiiScanner, PlantedValues
from governance.policy import default_policy
from lakehouse.ingest import files_under, lake_layout
from lakehouse.landing.storage import landing_store
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


def presidio(settings: Settings) -> Analyse:
    analyzer = build_analyzer(settings.presidio_model)

    def analyse(text: str) -> list[tuple[str, str, float]]:
        results = analyzer.analyze(
            text[:50_000], language="en", entities=list(PRESIDIO_ENTITIES), score_threshold=SCORE_THRESHOLD
        )
        return [(result.entity_type, text[result.start : result.end], result.score) for result in results]

    return analyse


def _distinct_strings(table: pa.Table) -> Iterator[tuple[str, list[str]]]:
    for name in table.column_names:
        column = table[name]
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            yield name, [value for value in pc.unique(column).to_pylist() if value]


def scan_silver(settings: Settings, scanner: PiiScanner) -> int:
    layout = lake_layout(settings)
    metadata = set(default_policy().metadata_columns)
    places = 0
    for table in TABLES:
        uri = layout.silver(table)
        uri = "s3://" + uri.split("://", 1)[1] if uri.startswith("s3a://") else uri
        try:
            delta = DeltaTable(uri, storage_options=settings.delta_rs_storage_options or None)
        except TableNotFoundError:
            continue
        dataset = delta.to_pyarrow_dataset()
        strings = [field.name for field in dataset.schema if pa.types.is_string(field.type)]
        for name, values in _distinct_strings(dataset.to_table(columns=strings)):
            places += 1
            for value in values:
                scanner.scan(f"silver/{table} column {name}", value, with_presidio=name not in metadata)
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
    """Log lines get the planted values, and Presidio only where an ``@`` could make an email."""
    files = _files(settings.data_dir / "logs", LOG_SUFFIXES) + _files(settings.dagster_home / "storage", LOG_SUFFIXES)
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                scanner.scan(f"log {path} line {number}", line, with_presidio="@" in line)
    return len(files)


def scan_for_pii(settings: Settings) -> ScanReport:
    with stage("reading the planted values of the synthetic profiles (landing)") as report:
        planted = planted_values(settings)
        report.add(rows=len(planted))
    scanner = PiiScanner(planted, presidio(settings))
    places = 0
    for name, scan in (
        ("silver tables", scan_silver),
        ("warehouse tables (marts)", scan_warehouse),
        (f"exports ({settings.exports_dir})", scan_exports),
        ("log files", scan_logs),
    ):
        before = scanner.values_scanned
        with stage(f"scanning {name}") as report:
            scanned = scan(settings, scanner)
            places += scanned
            report.add(rows=scanner.values_scanned - before, files=scanned)
    return ScanReport(scanner.results, scanner.values_scanned, places, len(planted))
