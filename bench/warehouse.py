"""Warehouse benchmark: analytical queries over the full silver lake, through the endpoint and in-process.

Both stages run the same queries in the same output format (Native, what
clickhouse-connect reads); the endpoint stage reads each answer's raw bytes
over HTTP, so the ratio is the cost of the HTTP interface itself. The
third stage times ``/ping`` while a long query runs.
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import statistics
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bench.common import Outcome, bench_settings
from lakehouse.landing.land import land_sources
from lakehouse.processes import free_port
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess

if TYPE_CHECKING:
    from ml.jobs import Model

QUERY_FORMAT = "Native"
PING_SAMPLES = 5000
REPEATS = 3
"""Each query runs this many times in a row; the stage's wall time covers all of them."""


def analytical_queries(lake: str) -> dict[str, str]:
    """Questions analysts ask of silver, each answered in at most 100k rows."""
    transactions = f"deltaLakeLocal('{lake}/silver/transactions')"
    products = f"deltaLakeLocal('{lake}/silver/products')"
    promotions = f"deltaLakeLocal('{lake}/silver/promotions')"
    return {
        "department_week_sales": f"""
            SELECT t.week, p.department, sum(t.sales_value) AS sales, count() AS lines,
                   uniqExact(t.basket_id) AS baskets
            FROM {transactions} AS t INNER JOIN {products} AS p ON t.product_id = p.product_id
            GROUP BY t.week, p.department ORDER BY t.week, p.department""",
        "household_spend": f"""
            SELECT household_id, sum(sales_value) AS spend, uniqExact(basket_id) AS baskets,
                   max(week) AS last_week
            FROM {transactions} GROUP BY household_id ORDER BY household_id""",
        "product_week_top_100k": f"""
            SELECT product_id, week, sum(quantity) AS units, sum(sales_value) AS sales
            FROM {transactions} GROUP BY product_id, week ORDER BY sales DESC, product_id, week LIMIT 100000""",
        "store_week_promotions": f"""
            SELECT store_id, week, countIf(display_location != '0') AS on_display,
                   countIf(mailer_location != '0') AS in_mailer
            FROM {promotions} GROUP BY store_id, week ORDER BY store_id, week""",
    }


LONG_QUERY = """
    SELECT product_id, store_id, count() AS weeks_promoted, uniqExact(week) AS weeks,
           groupUniqArray(display_location) AS displays
    FROM deltaLakeLocal('{lake}/silver/promotions')
    GROUP BY product_id, store_id ORDER BY weeks_promoted DESC, product_id, store_id LIMIT 10"""
LONG_QUERY_RUNS = 4
"""The long query runs this many times back to back (several seconds in all) while /ping is timed."""


def prepare_silver(scratch: Path) -> Settings:
    """The full landing ingested into the shared bench lake (a no-op rerun once it is there)."""
    from lakehouse.ingest import ingest_all
    from spark_jobs.session import build_spark_session

    settings = bench_settings()
    land_sources(settings)
    spark = build_spark_session(settings, app_name="bench-silver")
    ingest_all(lambda: spark, settings)
    spark.stop()
    return settings


def prepare_in_process(scratch: Path) -> tuple[Any, dict[str, str]]:
    from chdb.state.sqlitelike import Connection

    settings = prepare_silver(scratch)
    os.chdir(settings.lake_uri)  # as the warehouse does: chDB reads local files only below its working folder
    connection = Connection(f"file:{scratch / 'chdb'}")
    connection.query("SELECT 1", QUERY_FORMAT)
    return connection, analytical_queries(settings.lake_uri)


def in_process_queries(prepared: tuple[Any, dict[str, str]]) -> Outcome:
    connection, queries = prepared
    detail: dict[str, Any] = {}
    rows = 0
    for name, sql in queries.items():
        seconds = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            answer = connection.query(sql, QUERY_FORMAT)
            seconds.append(time.perf_counter() - started)
        detail[name] = {"median_s": round(statistics.median(seconds), 3), "rows": answer.rows_read()}
        rows += answer.rows_read() * REPEATS
    return Outcome(rows, detail)


def start_scratch_warehouse(shared: Settings, scratch: Path) -> WarehouseProcess:
    """A fresh warehouse on a free port over the shared lake, with its data and log in the scratch folder."""
    settings = shared.model_copy(
        update={"warehouse_data_path": scratch / "warehouse", "clickhouse_url": f"http://127.0.0.1:{free_port()}"}
    )
    process = WarehouseProcess(settings, log_path=scratch / "warehouse.log").start()
    atexit.register(process.stop)
    return process


def scratch_platform(scratch: Path) -> Settings:
    """Settings for a warehouse over the full silver lake, with the scratch folder as data folder (registry, logs)."""
    return start_scratch_warehouse(prepare_silver(scratch), scratch).settings.model_copy(update={"data_dir": scratch})


def train_champion(settings: Settings, model: Model) -> None:
    """Train and register ``model``; it must become champion, or nothing may score or serve with it."""
    from lakehouse.models import train_model

    trained = train_model(settings, model)
    if not trained.registration.verdict.promoted:
        raise RuntimeError(f"{model} was not promoted, so nothing may use it: {trained.registration.verdict.text}")


def prepare_endpoint(scratch: Path) -> tuple[Any, dict[str, str], str]:
    process = start_scratch_warehouse(prepare_silver(scratch), scratch)
    _post(process, "SELECT 1")
    return process, analytical_queries(process.settings.lake_uri), process.settings.lake_uri


def _connect(url: str, timeout_s: float = 600) -> http.client.HTTPConnection:
    address = urlsplit(url)
    return http.client.HTTPConnection(address.hostname or "", address.port, timeout=timeout_s)


def _admin(process: WarehouseProcess) -> dict[str, str]:
    settings = process.settings
    return {
        "X-ClickHouse-User": settings.clickhouse_user,
        "X-ClickHouse-Key": settings.clickhouse_password.get_secret_value(),
    }


def _answer_rows(connection: http.client.HTTPConnection, sql: str, credentials: dict[str, str]) -> int:
    """POST one query, read its whole answer, and return the rows the server says it sent."""
    connection.request("POST", f"/?default_format={QUERY_FORMAT}", body=sql.encode(), headers=credentials)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"warehouse answered {response.status}: {body[:300]!r}")
    return int(json.loads(response.getheader("X-ClickHouse-Summary") or "{}").get("result_rows", 0))


def _post(process: WarehouseProcess, sql: str) -> int:
    return _answer_rows(_connect(process.url), sql, _admin(process))


def endpoint_queries(prepared: tuple[Any, dict[str, str], str]) -> Outcome:
    process, queries, _ = prepared
    detail: dict[str, Any] = {}
    rows = 0
    connection = _connect(process.url)
    for name, sql in queries.items():
        seconds = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            result_rows = _answer_rows(connection, sql, _admin(process))
            seconds.append(time.perf_counter() - started)
        detail[name] = {"median_s": round(statistics.median(seconds), 3), "rows": result_rows}
        rows += result_rows * REPEATS
    return Outcome(rows, detail)


def ping_during_long_query(prepared: tuple[Any, dict[str, str], str]) -> Outcome:
    process, _, lake = prepared
    latencies = ping_while_busy(process, LONG_QUERY.format(lake=lake))
    return Outcome(int(latencies["samples"]), latencies)


def ping_while_busy(process: WarehouseProcess, long_sql: str) -> dict[str, float]:
    """/ping latencies (ms) over one keep-alive connection while ``long_sql`` runs on another."""
    busy = threading.Thread(target=lambda: [_post(process, long_sql) for _ in range(LONG_QUERY_RUNS)])
    busy.start()
    time.sleep(0.3)
    connection = _connect(process.url, timeout_s=10)
    latencies: list[float] = []
    pinging_since = time.perf_counter()
    while busy.is_alive() and len(latencies) < PING_SAMPLES:
        started = time.perf_counter()
        connection.request("GET", "/ping")
        connection.getresponse().read()
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
    busy.join()
    if not latencies:
        raise RuntimeError("the long query ended before the first /ping")
    ordered = sorted(latencies)
    return {
        "busy_s": round(time.perf_counter() - pinging_since, 2),
        "samples": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
    }
