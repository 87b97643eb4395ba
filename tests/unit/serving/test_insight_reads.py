"""How the insight routes load the warehouse: one read per answer however many wait for it, and a cap on reads at once.

The warehouse here is a small HTTP server that answers every query slowly
with one row, counting the queries it gets and the most it held at once.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from serving.breaker import CircuitBreaker
from serving.config import WarehouseTables
from serving.insights import Insights, Page, PagedRows, WeekRange
from serving.warehouse import Warehouse, WarehouseError, WarehouseUnavailableError

ANSWER_S = 0.2
CAP = 2


@dataclass
class Seen:
    queries: int = 0
    running: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _SlowWarehouse(http.server.BaseHTTPRequestHandler):
    seen: Seen
    answer_s: float = ANSWER_S
    status: int = 200

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.seen.lock:
            self.seen.queries += 1
            self.seen.running += 1
            self.seen.most_at_once = max(self.seen.most_at_once, self.seen.running)
        time.sleep(self.answer_s)
        with self.seen.lock:
            self.seen.running -= 1
        body = b'{"week": 1, "department": "GROCERY"}\n' if self.status == 200 else b"Code: 62. Syntax error\n"
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: the test counts queries itself."""


@contextmanager
def _warehouse(answer_s: float = ANSWER_S, status: int = 200) -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    handler = type("Handler", (_SlowWarehouse,), {"seen": seen, "answer_s": answer_s, "status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()


@pytest.fixture
def slow_warehouse() -> Iterator[tuple[str, Seen]]:
    with _warehouse() as started:
        yield started


def _insights(url: str) -> Insights:
    warehouse = Warehouse(url, "analyst", "secret", timeout_s=5, concurrency=CAP)
    return Insights(warehouse, WarehouseTables(), CircuitBreaker(3, 10), cache_s=60, entries=100)


def test_fifty_requests_missing_the_cache_together_share_one_warehouse_read(
    slow_warehouse: tuple[str, Seen],
) -> None:
    url, seen = slow_warehouse

    async def fifty() -> list[int]:
        insights = _insights(url)
        answers = await asyncio.gather(
            *(insights.category_performance("R01", WeekRange(1, 9), "", "", Page(1, 50)) for _ in range(50))
        )
        again = await insights.category_performance("R01", WeekRange(1, 9), "", "", Page(1, 50))
        return [len(answer.rows) for answer in [*answers, again]]

    assert asyncio.run(fifty()) == [1] * 51
    assert seen.queries == 1


def test_different_answers_read_at_once_never_exceed_the_logins_cap(slow_warehouse: tuple[str, Seen]) -> None:
    url, seen = slow_warehouse

    async def six_retailers() -> None:
        insights = _insights(url)
        await asyncio.gather(
            *(insights.category_performance(f"R0{n}", WeekRange(1, 9), "", "", Page(1, 50)) for n in range(6))
        )

    asyncio.run(six_retailers())

    assert seen.queries == 6
    assert seen.most_at_once == CAP


def test_a_shared_read_that_fails_fails_every_waiter_and_the_next_request_reads_again() -> None:
    async def twice(url: str) -> list[object]:
        insights = _insights(url)

        def ask() -> Coroutine[Any, Any, PagedRows]:
            return insights.category_performance("R01", WeekRange(1, 9), "", "", Page(1, 50))

        together = await asyncio.gather(*(ask() for _ in range(5)), return_exceptions=True)
        later = await asyncio.gather(ask(), return_exceptions=True)
        return [*together, *later]

    with _warehouse(status=400) as (url, seen):
        outcomes = asyncio.run(twice(url))

    assert all(isinstance(outcome, WarehouseError) for outcome in outcomes)
    assert seen.queries == 2


def test_a_query_that_waits_longer_than_the_timeout_for_a_slot_counts_as_the_warehouse_unavailable() -> None:
    async def three_at_once(url: str) -> list[object]:
        warehouse = Warehouse(url, "analyst", "secret", timeout_s=1.0, concurrency=1)
        outcomes = await asyncio.gather(*(warehouse.rows(f"SELECT {n}") for n in range(3)), return_exceptions=True)
        return list(outcomes)

    with _warehouse(answer_s=0.6) as (url, seen):
        first, second, third = asyncio.run(three_at_once(url))

    assert first == second == [{"week": 1, "department": "GROCERY"}]
    assert isinstance(third, WarehouseUnavailableError)
    assert "no query slot free within 1 s (1 queries already running)" in str(third)
    assert seen.queries == 2
