"""How the insight routes load the warehouse: one read per answer however many wait for it, and a cap on reads at once.

The warehouse here is a small HTTP server that answers every query slowly
with one row, counting the queries it gets and the most it held at once.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from serving.breaker import CircuitBreaker
from serving.config import WarehouseTables
from serving.insights import Insights, Page, WeekRange
from serving.warehouse import Warehouse

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

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with self.seen.lock:
            self.seen.queries += 1
            self.seen.running += 1
            self.seen.most_at_once = max(self.seen.most_at_once, self.seen.running)
        time.sleep(ANSWER_S)
        with self.seen.lock:
            self.seen.running -= 1
        body = b'{"week": 1, "department": "GROCERY"}\n'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: the test counts queries itself."""


@pytest.fixture
def slow_warehouse() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    handler = type("Handler", (_SlowWarehouse,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()


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
