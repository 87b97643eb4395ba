"""Compression as ClickHouse clients use it: block frames both ways (compress/decompress=1), HTTP encodings out."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable

import brotli
import httpx
import lz4.frame
import pytest
import zstandard

from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import admin_password, connect, driver_frames, driver_unframe

pytestmark = pytest.mark.integration

ROWS = 300_000
EXPECTED = "".join(f"{number}\n" for number in range(ROWS)).encode()
SELECT_ROWS = f"SELECT number FROM numbers({ROWS}) FORMAT TSV".encode()


def _admin(warehouse: WarehouseProcess) -> tuple[str, str]:
    return warehouse.settings.clickhouse_user, admin_password(warehouse)


@pytest.mark.parametrize("user", ["admin", "analyst"])
def test_a_compress_1_answer_is_lz4_blocks_clickhouse_driver_reads(warehouse: WarehouseProcess, user: str) -> None:
    auth = _admin(warehouse) if user == "admin" else ("analyst", "analyst")
    answer = httpx.post(warehouse.url, params={"compress": "1"}, content=SELECT_ROWS, auth=auth)

    assert answer.status_code == 200
    assert len(answer.content) < len(EXPECTED)
    assert driver_unframe(answer.content) == EXPECTED


@pytest.mark.parametrize("method", ["lz4", "lz4hc"])
def test_a_decompress_1_insert_in_block_frames_lands_every_row(warehouse: WarehouseProcess, method: str) -> None:
    table = f"framed_{method}"
    client = connect(warehouse)
    client.command(f"CREATE OR REPLACE TABLE {table} (n UInt64, label String) ENGINE = MergeTree ORDER BY n")
    rows = "".join(f"{n}\tlabel-{n}\n" for n in range(ROWS)).encode()

    answer = httpx.post(
        warehouse.url,
        params={"decompress": "1", "query": f"INSERT INTO {table} FORMAT TSV"},
        content=driver_frames(rows, method),
        auth=_admin(warehouse),
    )

    assert answer.status_code == 200, answer.text
    assert client.query(f"SELECT count(), sum(n) FROM {table}").result_rows == [(ROWS, sum(range(ROWS)))]


DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "br": brotli.decompress,
    "zstd": lambda body: zstandard.ZstdDecompressor().decompressobj().decompress(body),
    "lz4": lz4.frame.decompress,
    "xz": lzma.decompress,
    "bz2": bz2.decompress,
}


@pytest.mark.parametrize("encoding", list(DECODERS))
def test_enable_http_compression_answers_in_the_accepted_encoding(warehouse: WarehouseProcess, encoding: str) -> None:
    with httpx.Client(auth=_admin(warehouse)) as client:
        request = client.build_request(
            "POST", warehouse.url, params={"enable_http_compression": "1"}, content=SELECT_ROWS
        )
        request.headers["Accept-Encoding"] = encoding
        answer = client.send(request, stream=True)
        raw = b"".join(answer.iter_raw())

    assert answer.headers["content-encoding"] == encoding
    assert len(raw) < len(EXPECTED)
    assert DECODERS[encoding](raw) == EXPECTED


def test_without_enable_http_compression_the_answer_is_plain(warehouse: WarehouseProcess) -> None:
    answer = httpx.post(warehouse.url, content=SELECT_ROWS, headers={"Accept-Encoding": "gzip"}, auth=_admin(warehouse))

    assert "content-encoding" not in answer.headers
    assert answer.content == EXPECTED
