"""Bad requests get the error ClickHouse would give; the server stays up and no data changes."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
import zstandard
from clickhouse_connect.driver.client import Client

from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect, curl, driver_frames, split_response, warehouse_on_free_port

pytestmark = pytest.mark.integration

TABLE = "compat_bad.stores"
BODY_LIMIT = 4096


@pytest.fixture(scope="module")
def admin(warehouse: WarehouseProcess) -> Client:
    client = connect(warehouse)
    client.command("CREATE DATABASE IF NOT EXISTS compat_bad")
    client.command(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (store_id UInt32, retailer String) ENGINE = MergeTree ORDER BY store_id"
    )
    client.command(f"TRUNCATE TABLE {TABLE}")
    client.command(f"INSERT INTO {TABLE} VALUES (1, 'R1'), (2, 'R2')")
    return client


@pytest.fixture(scope="module")
def small_body_warehouse(
    tmp_path_factory: pytest.TempPathFactory, local_settings: Settings
) -> Iterator[WarehouseProcess]:
    """A warehouse whose body limit is a few kilobytes, set the way an operator sets it."""
    data_path = tmp_path_factory.mktemp("small-body-warehouse")
    with warehouse_on_free_port(local_settings, data_path, warehouse_max_body_bytes=BODY_LIMIT) as process:
        yield process


def _post(warehouse: WarehouseProcess, path: str, body: str, *arguments: str) -> tuple[int, dict[str, str], str]:
    return split_response(curl(warehouse, path, "--data-binary", body, *arguments).stdout)


def _assert_still_serving_unchanged(warehouse: WarehouseProcess, admin: Client) -> None:
    assert split_response(curl(warehouse, "/ping").stdout)[2] == "Ok.\n"
    assert admin.query(f"SELECT store_id, retailer FROM {TABLE} ORDER BY store_id").result_rows == [
        (1, "R1"),
        (2, "R2"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "code", "name"),
    [
        ("SELECT store_id FROM compat_bad.stores WHERE", 400, 62, "SYNTAX_ERROR"),
        ("SELECT * FROM compat_bad.stores FORMAT NoSuchFormat", 404, 73, "UNKNOWN_FORMAT"),
        ("SELECT * FROM compat_bad.no_such_table", 404, 60, "UNKNOWN_TABLE"),
        (
            "INSERT INTO compat_bad.stores FORMAT CSV\n3,R3\nnot-a-number,R4\n",
            400,
            27,
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
        ),
    ],
)
def test_a_bad_statement_gets_clickhouses_error_and_changes_nothing(
    warehouse: WarehouseProcess, admin: Client, body: str, status: int, code: int, name: str
) -> None:
    answer_status, headers, answer = _post(warehouse, "/", body)

    assert (answer_status, headers["x-clickhouse-exception-code"]) == (status, str(code))
    assert answer.startswith(f"Code: {code}. DB::Exception:") and f"({name})" in answer
    _assert_still_serving_unchanged(warehouse, admin)


def test_an_unknown_setting_is_refused(warehouse: WarehouseProcess, admin: Client) -> None:
    status, headers, body = _post(warehouse, "/?no_such_setting=1", "SELECT 1")

    assert (status, headers["x-clickhouse-exception-code"]) == (404, "115")
    assert "Unknown setting" in body
    _assert_still_serving_unchanged(warehouse, admin)


def test_an_unknown_content_encoding_is_refused(warehouse: WarehouseProcess, admin: Client) -> None:
    status, headers, body = _post(
        warehouse, f"/?query=INSERT%20INTO%20{TABLE}%20FORMAT%20CSV", "5,R5\n", "-H", "Content-Encoding: snappy-ish"
    )

    assert (status, headers["x-clickhouse-exception-code"]) == (501, "48")
    assert "Unknown HTTP Content-Encoding 'snappy-ish'" in body
    _assert_still_serving_unchanged(warehouse, admin)


def test_an_oversized_body_is_refused_before_any_row_is_written(small_body_warehouse: WarehouseProcess) -> None:
    client = connect(small_body_warehouse)
    client.command("CREATE TABLE IF NOT EXISTS big (line String) ENGINE = MergeTree ORDER BY line")
    rows = "".join(f"line {number}\n" for number in range(2_000))

    status, headers, body = _post(small_body_warehouse, "/?query=INSERT%20INTO%20big%20FORMAT%20TSV", rows)

    assert (status, headers["x-clickhouse-exception-code"]) == (413, "307")
    assert f"exceeds the warehouse limit of {BODY_LIMIT} bytes" in body
    assert client.query("SELECT count() FROM big").result_rows == [(0,)]
    assert split_response(curl(small_body_warehouse, "/ping").stdout)[2] == "Ok.\n"


def test_a_corrupt_compressed_body_is_refused_and_its_query_id_freed(
    warehouse: WarehouseProcess, admin: Client
) -> None:
    whole = gzip.compress(b"".join(f"{n},R3\n".encode() for n in range(50_000)))
    corrupt = whole[: len(whole) // 2] + bytes(64) + whole[len(whole) // 2 + 64 :]
    url = f"/?query=INSERT%20INTO%20{TABLE}%20FORMAT%20CSV&query_id=corrupt-body"

    status, headers, body = split_response(
        curl(warehouse, url, "--data-binary", "@-", "-H", "Content-Encoding: gzip", stdin=corrupt).stdout
    )

    assert (status, headers["x-clickhouse-exception-code"]) == (500, "271")
    assert "Cannot decompress the gzip body" in body
    again = split_response(curl(warehouse, "/?query_id=corrupt-body&query=SELECT%201").stdout)
    assert again[0] == 200
    _assert_still_serving_unchanged(warehouse, admin)


def test_a_compression_bomb_meets_the_body_limit_without_being_unfolded(small_body_warehouse: WarehouseProcess) -> None:
    bomb = zstandard.ZstdCompressor().compress(b"7,R7\n" * (64 << 20))
    url = "/?query=INSERT%20INTO%20big%20FORMAT%20TSV"

    status, headers, _ = split_response(
        curl(small_body_warehouse, url, "--data-binary", "@-", "-H", "Content-Encoding: zstd", stdin=bomb).stdout
    )

    assert (status, headers["x-clickhouse-exception-code"]) == (413, "307")
    assert split_response(curl(small_body_warehouse, "/ping").stdout)[2] == "Ok.\n"


def _mangled_frames() -> dict[str, bytes]:
    rows = b"".join(f"{n},R5\n".encode() for n in range(10_000))
    good = driver_frames(rows)
    flipped = bytearray(good)
    flipped[40] ^= 0xFF
    return {
        "CANNOT_DECOMPRESS": bytes(flipped),
        "CANNOT_READ_ALL_DATA": good[:-10],
        "UNKNOWN_CODEC": good[:16] + b"\x55" + good[17:],
        "TOO_LARGE_SIZE_COMPRESSED": good[:17] + (1 << 31).to_bytes(4, "little") + good[21:],
    }


@pytest.mark.parametrize(
    ("name", "code"),
    [("CANNOT_DECOMPRESS", "271"), ("CANNOT_READ_ALL_DATA", "33"), ("UNKNOWN_CODEC", "432"),
     ("TOO_LARGE_SIZE_COMPRESSED", "39")],
)  # fmt: skip
def test_a_bad_block_compressed_body_gets_clickhouses_code_and_writes_nothing(
    warehouse: WarehouseProcess, admin: Client, name: str, code: str
) -> None:
    """A wrong checksum, a truncated frame, an unknown method byte, a frame claiming 2 GiB."""
    url = f"/?decompress=1&query=INSERT%20INTO%20{TABLE}%20FORMAT%20CSV"

    status, headers, body = split_response(
        curl(warehouse, url, "--data-binary", "@-", stdin=_mangled_frames()[name]).stdout
    )

    assert (status, headers["x-clickhouse-exception-code"], f"({name})" in body) == (500, code, True)
    _assert_still_serving_unchanged(warehouse, admin)
