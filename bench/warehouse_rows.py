"""Warehouse benchmark, big answers: 100,000 and 1,000,000 rows in-process, over HTTP with compress=1, through JDBC.

The three stages read the same rows in RowBinaryWithNamesAndTypes, the format
the JDBC driver asks for. The compressed stage reads the raw LZ4 frames as a
driver receives them; the JDBC stage times the official driver (default URL,
so compress=1 too) reading every row, measured inside the JVM after a warm-up.
"""

from __future__ import annotations

import atexit
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import Outcome, bench_settings
from bench.warehouse import start_scratch_warehouse
from lakehouse.settings import PROJECT_ROOT
from lakehouse.warehouse import WarehouseProcess

ROW_COUNTS = (100_000, 1_000_000)
REPEATS = 5
ANSWER_FORMAT = "RowBinaryWithNamesAndTypes"
ROWS_SQL = (
    "SELECT number AS id, toString(number) AS label, toDate(modulo(number, 40000)) AS day, number / 7 AS share "
    "FROM numbers(%d)"
)
JDBC_PROJECT = PROJECT_ROOT / "tests" / "jdbc"


def prepare_in_process(scratch: Path) -> Any:
    from chdb.state.sqlitelike import Connection

    connection = Connection(f"file:{scratch / 'chdb'}")
    connection.query(ROWS_SQL % 1000, ANSWER_FORMAT)
    return connection


def rows_in_process(connection: Any) -> Outcome:
    return _timed(lambda rows: len(connection.query(ROWS_SQL % rows, ANSWER_FORMAT).bytes()))


def prepare_endpoint(scratch: Path) -> WarehouseProcess:
    return start_scratch_warehouse(bench_settings(), scratch)


def rows_endpoint_compressed(process: WarehouseProcess) -> Outcome:
    auth = (process.settings.clickhouse_user, process.settings.clickhouse_password.get_secret_value())
    with httpx.Client(auth=auth, timeout=600) as client:

        def read(rows: int) -> int:
            answer = client.post(
                process.url,
                params={"compress": "1", "default_format": ANSWER_FORMAT},
                content=(ROWS_SQL % rows).encode(),
            )
            answer.raise_for_status()
            return len(answer.content)

        read(1000)
        return _timed(read)


def prepare_jdbc(scratch: Path) -> subprocess.Popen[str]:
    """The warehouse, then the JVM with the driver connected, warmed up and waiting for its first query."""
    process = prepare_endpoint(scratch)
    classpath_file = scratch / "classpath.txt"
    subprocess.run(
        ["mvn", "-q", "-B", "test-compile", "dependency:build-classpath", f"-Dmdep.outputFile={classpath_file}"],
        cwd=JDBC_PROJECT,
        check=True,
        capture_output=True,
    )
    classpath = f"{JDBC_PROJECT / 'target' / 'test-classes'}:{classpath_file.read_text().strip()}"
    password = process.settings.clickhouse_password.get_secret_value()
    java = subprocess.Popen(
        ["java", "-cp", classpath, "lakehouse.jdbc.JdbcReadBench", process.url,
         process.settings.clickhouse_user, password, ROWS_SQL],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    atexit.register(java.kill)
    assert java.stdout is not None
    if java.stdout.readline().strip() != "ready":
        raise RuntimeError("the JDBC bench did not connect to the warehouse")
    return java


def rows_jdbc(java: subprocess.Popen[str]) -> Outcome:
    assert java.stdin is not None and java.stdout is not None
    detail: dict[str, Any] = {}
    total = 0
    for rows in ROW_COUNTS:
        java.stdin.write(f"{rows} {REPEATS}\n")
        java.stdin.flush()
        read, seconds = java.stdout.readline().split()
        detail[f"rows_{rows}"] = {"mean_s": round(float(seconds) / REPEATS, 3), "rows_read": int(read)}
        total += int(read)
    java.stdin.close()
    java.wait(timeout=60)
    return Outcome(total, detail)


def _timed(read: Any) -> Outcome:
    detail: dict[str, Any] = {}
    total = 0
    for rows in ROW_COUNTS:
        seconds = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            answer_bytes = read(rows)
            seconds.append(time.perf_counter() - started)
        detail[f"rows_{rows}"] = {"median_s": round(statistics.median(seconds), 3), "bytes": answer_bytes}
        total += rows * REPEATS
    return Outcome(total, detail)
