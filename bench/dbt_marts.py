"""Marts benchmark: ``dbt build`` on the full silver lake through the warehouse, against DuckDB running the same SQL.

The DuckDB baseline (``bench/duckdb_marts.sql``) is the marts' SQL translated
model by model, reading the silver tables' active Parquet files directly and
writing its tables to a DuckDB file. ``dbt_run_marts`` builds only the models,
so it is the like-for-like comparison; ``dbt_build_full`` adds every data test,
contract and reconciliation, which the DuckDB side does not do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.common import Outcome
from bench.warehouse import prepare_silver, start_scratch_warehouse
from lakehouse.dbt import build_marts, dbt_target_path, run_dbt
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client

DUCKDB_SQL = Path(__file__).with_name("duckdb_marts.sql")
SILVER_TABLES = (
    "transactions",
    "promotions",
    "products",
    "stores",
    "campaign_descriptions",
    "campaigns",
    "coupons",
    "coupon_redemptions",
    "demographics",
)
MART_DATABASES = ("category", "promotions", "loyalty", "intermediate")


def prepare_warehouse(scratch: Path) -> Settings:
    """The full silver lake and a fresh warehouse with no marts in it yet; dbt's target and logs in scratch."""
    process = start_scratch_warehouse(prepare_silver(scratch), scratch)
    return process.settings.model_copy(update={"data_dir": scratch})


def _mart_rows(settings: Settings) -> dict[str, int]:
    client = admin_client(settings)
    databases = ", ".join(f"'{database}'" for database in MART_DATABASES)
    rows = client.query(f"SELECT database, name, total_rows FROM system.tables WHERE database IN ({databases})")
    return {f"{database}.{name}": int(total) for database, name, total in rows.result_rows}


def _seconds_by_kind(settings: Settings) -> dict[str, float]:
    results = json.loads((dbt_target_path(settings) / "run_results.json").read_text())
    seconds: dict[str, float] = {}
    for result in results["results"]:
        kind = result["unique_id"].split(".")[0]
        seconds[kind] = round(seconds.get(kind, 0.0) + result["execution_time"], 2)
    return seconds


def dbt_build_full(settings: Settings) -> Outcome:
    build = build_marts(settings, "--full-refresh")
    tables = _mart_rows(settings)
    detail: dict[str, Any] = {"nodes": build.nodes, "passed": build.passed, "node_seconds": _seconds_by_kind(settings)}
    return Outcome(sum(tables.values()), detail | {"tables": tables})


def dbt_run_marts(settings: Settings) -> Outcome:
    run_dbt(settings, "run", "--full-refresh").raise_for_failure()
    tables = _mart_rows(settings)
    return Outcome(sum(tables.values()), {"node_seconds": _seconds_by_kind(settings), "tables": tables})


def prepare_duckdb(scratch: Path) -> tuple[Path, dict[str, list[str]]]:
    """The silver tables' active Parquet files, listed by Delta (untimed), and an empty DuckDB file."""
    from spark_jobs.session import build_spark_session

    settings = prepare_silver(scratch)
    spark = build_spark_session(settings, app_name="bench-duckdb-files")
    files = {
        table: spark.read.format("delta").load(f"{settings.lake_uri}/silver/{table}").inputFiles()
        for table in SILVER_TABLES
    }
    spark.stop()
    return scratch / "marts.duckdb", files


def duckdb_marts(prepared: tuple[Path, dict[str, list[str]]]) -> Outcome:
    import duckdb

    database_file, files = prepared
    database = duckdb.connect(str(database_file))
    for table, paths in files.items():
        local = [path.removeprefix("file:") for path in paths]
        database.execute(
            f"create view silver_{table} as select * from read_parquet({local!r}, hive_partitioning = true)"
        )
    tables: dict[str, int] = {}
    for statement in DUCKDB_SQL.read_text().split("\n;\n"):
        database.execute(statement)
        name = statement.split("create table ", 1)[1].split()[0]
        row = database.execute(f"select count(*) from {name}").fetchone()
        tables[name] = int(row[0]) if row else 0
    database.close()
    return Outcome(sum(tables.values()), {"tables": tables})
