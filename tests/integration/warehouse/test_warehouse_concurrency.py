"""Many clients at once: parallel queries are all correct, a slow one blocks nobody, a gone client stops its query."""

from __future__ import annotations

import http.client
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

import pytest

from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import admin_password, connect, curl, split_response, wait_until_running

pytestmark = pytest.mark.integration

SLOW_QUERY = "SELECT number, sleepEachRow(0.1) FROM numbers(600) SETTINGS max_block_size = 1"


def _aggregate(warehouse: WarehouseProcess, modulus: int) -> list[Sequence[object]]:
    client = connect(warehouse)
    sql = f"SELECT number % {modulus} AS b, count(), sum(number) FROM numbers(20000000) GROUP BY b ORDER BY b"
    return list(client.query(sql).result_rows)


def _write_then_read(warehouse: WarehouseProcess, table: str, rows: int) -> list[Sequence[object]]:
    client = connect(warehouse)
    client.command(f"CREATE OR REPLACE TABLE {table} (n UInt64) ENGINE = MergeTree ORDER BY n")
    client.insert(table, [[number] for number in range(rows)], column_names=["n"])
    return list(client.query(f"SELECT count(), sum(n) FROM {table}").result_rows)


def test_two_clients_in_parallel_both_get_correct_answers(warehouse: WarehouseProcess) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(_aggregate, warehouse, 3)
        second = pool.submit(_aggregate, warehouse, 4)
        writer_a = pool.submit(_write_then_read, warehouse, "parallel_a", 30_000)
        writer_b = pool.submit(_write_then_read, warehouse, "parallel_b", 40_000)

        n = 20_000_000
        assert first.result() == [(b, len(range(b, n, 3)), sum(range(b, n, 3))) for b in range(3)]
        assert second.result() == [(b, len(range(b, n, 4)), sum(range(b, n, 4))) for b in range(4)]
        assert writer_a.result() == [(30_000, sum(range(30_000)))]
        assert writer_b.result() == [(40_000, sum(range(40_000)))]


def test_ping_answers_at_once_while_a_slow_query_runs(warehouse: WarehouseProcess) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(
            connect(warehouse).query, "SELECT sleepEachRow(0.5) FROM numbers(6) SETTINGS max_block_size = 1"
        )
        wait_until_running(warehouse, "sleepEachRow(0.5) FROM numbers(6)")
        latencies = []
        while not slow.done():
            started = time.perf_counter()
            assert split_response(curl(warehouse, "/ping").stdout)[2] == "Ok.\n"
            latencies.append(time.perf_counter() - started)
        slow.result()

    assert len(latencies) >= 5
    assert max(latencies) < 0.5, f"/ping took up to {max(latencies):.3f}s during a slow query"


def test_a_client_that_disconnects_cancels_its_query(warehouse: WarehouseProcess) -> None:
    address = urlsplit(warehouse.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    user, password = warehouse.settings.clickhouse_user, admin_password(warehouse)
    connection.request(
        "POST",
        "/?query_id=abandoned-scan",
        body=SLOW_QUERY,
        headers={"X-ClickHouse-User": user, "X-ClickHouse-Key": password},
    )
    response = connection.getresponse()
    assert response.status == 200
    response.read1(64)
    connection.close()  # the client goes away with the query 60 s from done

    deadline = time.monotonic() + 15
    while True:
        probe = curl(warehouse, f"/?query_id=abandoned-scan&query={quote('SELECT 1')}")
        status, headers, _ = split_response(probe.stdout)
        if status == 200:
            break
        assert headers["x-clickhouse-exception-code"] == "216"  # still running under that id
        assert time.monotonic() < deadline, "the abandoned query was still running 15 s after its client left"
        time.sleep(0.2)


def test_a_second_query_with_a_running_query_id_is_refused(warehouse: WarehouseProcess) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(
            curl,
            warehouse,
            "/?query_id=busy-id",
            "--data-binary",
            "SELECT sleepEachRow(0.5) FROM numbers(4) SETTINGS max_block_size = 1",
        )
        wait_until_running(warehouse, "sleepEachRow(0.5) FROM numbers(4)")
        status, headers, body = split_response(curl(warehouse, f"/?query_id=busy-id&query={quote('SELECT 1')}").stdout)
        assert split_response(slow.result().stdout)[0] == 200

    assert (status, headers["x-clickhouse-exception-code"]) == (500, "216")
    assert "Query with id = busy-id is already running" in body
