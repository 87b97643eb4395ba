"""curl, the way the ClickHouse documentation talks to the HTTP interface."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect, curl, split_response

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stores_table(warehouse: WarehouseProcess) -> str:
    client = connect(warehouse)
    client.command("CREATE DATABASE IF NOT EXISTS compat_curl")
    client.command("DROP TABLE IF EXISTS compat_curl.stores")
    client.command(
        "CREATE TABLE compat_curl.stores (store_id UInt32, retailer String) ENGINE = MergeTree ORDER BY store_id"
    )
    return "compat_curl.stores"


def test_ping_and_replicas_status_answer_ok(warehouse: WarehouseProcess) -> None:
    for path in ("/ping", "/replicas_status"):
        status, _, body = split_response(curl(warehouse, path).stdout)
        assert (status, body) == (200, "Ok.\n")


def test_csv_with_names_comes_back_with_its_header_and_format_headers(warehouse: WarehouseProcess) -> None:
    answer = curl(
        warehouse, "/?query=SELECT%20number%20AS%20n,%20n*2%20AS%20twice%20FROM%20numbers(3)%20FORMAT%20CSVWithNames"
    )
    status, headers, body = split_response(answer.stdout)

    assert status == 200
    assert body == '"n","twice"\n0,0\n1,2\n2,4\n'
    assert headers["x-clickhouse-format"] == "CSVWithNames"
    assert headers["content-type"].startswith("text/csv")
    summary = json.loads(headers["x-clickhouse-summary"])
    assert summary["result_rows"] == "3"
    assert headers["x-clickhouse-query-id"]


def test_json_each_row_insert_with_the_query_in_the_url_and_rows_in_the_body(
    warehouse: WarehouseProcess, stores_table: str
) -> None:
    rows = '{"store_id": 1, "retailer": "R1"}\n{"store_id": 2, "retailer": "R2"}\n'
    answer = curl(
        warehouse,
        f"/?query=INSERT%20INTO%20{stores_table}%20FORMAT%20JSONEachRow&query_id=insert-stores-1",
        "--data-binary",
        rows,
    )
    status, headers, _ = split_response(answer.stdout)

    assert status == 200
    assert headers["x-clickhouse-query-id"] == "insert-stores-1"
    assert json.loads(headers["x-clickhouse-summary"])["written_rows"] == "2"
    counted = curl(warehouse, "/", "--data-binary", f"SELECT count() FROM {stores_table} WHERE store_id IN (1, 2)")
    assert split_response(counted.stdout)[2] == "2\n"


def test_a_gzip_body_with_the_insert_statement_first_is_decoded(
    warehouse: WarehouseProcess, stores_table: str, tmp_path: Path
) -> None:
    body = tmp_path / "insert.gz"
    body.write_bytes(gzip.compress(f"INSERT INTO {stores_table} FORMAT CSV\n10,R3\n11,R3\n".encode()))

    answer = curl(warehouse, "/", "--data-binary", f"@{body}", "-H", "Content-Encoding: gzip")

    assert split_response(answer.stdout)[0] == 200
    count = curl(warehouse, f"/?query=SELECT%20count()%20FROM%20{stores_table}%20WHERE%20retailer%20=%20'R3'")
    assert split_response(count.stdout)[2] == "2\n"


def test_a_query_may_begin_in_the_url_and_end_in_the_body(warehouse: WarehouseProcess) -> None:
    answer = curl(warehouse, "/?query=SELECT%20number%20FROM", "--data-binary", "numbers(2) FORMAT JSONEachRow")
    after_comment = curl(warehouse, "/?query=SELECT%201%20--%20a%20note", "--data-binary", ", 2")

    assert split_response(answer.stdout)[2] == '{"number":0}\n{"number":1}\n'
    assert split_response(after_comment.stdout)[2] == "1\t2\n"


def test_a_large_values_insert_streams_past_the_query_size_limit(
    warehouse: WarehouseProcess, stores_table: str
) -> None:
    tuples = ",".join(f"({1000 + number}, 'R FORMAT {number}')" for number in range(60_000))

    answer = curl(warehouse, "/", "--data-binary", "@-", stdin=f"INSERT INTO {stores_table} VALUES {tuples}".encode())

    assert split_response(answer.stdout)[0] == 200
    count = curl(warehouse, f"/?query=SELECT%20count()%20FROM%20{stores_table}%20WHERE%20store_id%20>=%201000")
    assert split_response(count.stdout)[2] == "60000\n"


def test_a_get_in_a_session_that_may_write_is_refused_not_run(warehouse: WarehouseProcess, stores_table: str) -> None:
    answer = curl(warehouse, f"/?session_id=get-session&query=TRUNCATE%20TABLE%20{stores_table}")
    status, headers, body = split_response(answer.stdout)

    assert (status, headers["x-clickhouse-exception-code"]) == (403, "164")
    assert "send its queries by POST" in body


def test_parameters_database_and_default_format_come_from_the_url(
    warehouse: WarehouseProcess, stores_table: str
) -> None:
    answer = curl(
        warehouse,
        "/?query=SELECT%20{id:UInt32}%20AS%20id,%20currentDatabase()%20AS%20db"
        "&param_id=42&database=compat_curl&default_format=JSONCompactEachRow",
    )

    assert split_response(answer.stdout)[2] == '[42, "compat_curl"]\n'


def test_get_requests_are_read_only_as_in_clickhouse(warehouse: WarehouseProcess, stores_table: str) -> None:
    answer = curl(warehouse, f"/?query=INSERT%20INTO%20{stores_table}%20VALUES%20(99,%20'R9')")
    status, headers, body = split_response(answer.stdout)

    assert status == 403
    assert headers["x-clickhouse-exception-code"] == "164"
    assert body.startswith("Code: 164. DB::Exception:")


@pytest.mark.parametrize(
    "credentials",
    [
        ["-u", "analyst:analyst"],
        ["-H", "X-ClickHouse-User: analyst", "-H", "X-ClickHouse-Key: analyst"],
        [],  # user and password in the URL
    ],
)
def test_each_way_of_sending_credentials_logs_the_analyst_in(
    warehouse: WarehouseProcess, credentials: list[str]
) -> None:
    """The analyst's queries run with readonly=1 and the admin's with 0, so the setting shows who logged in."""
    path = "/?query=SELECT%20getSetting('readonly')"
    if not credentials:
        path += "&user=analyst&password=analyst"

    status, _, body = split_response(curl(warehouse, path, *credentials).stdout)

    assert (status, body) == (200, "1\n")
