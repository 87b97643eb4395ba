"""Request bodies decoded chunk by chunk, including several compressed frames in one body."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable

import lz4.frame
import pytest
import zstandard

from warehouse.compression import decoded_body
from warehouse.errors import WarehouseError

pytestmark = pytest.mark.unit

PARTS = [b"1,DAIRY\n" * 500, b"2,FUEL\n" * 700]


async def _chunks(body: bytes, size: int = 97) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _decode(body: bytes, encoding: str) -> bytes:
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in decoded_body(_chunks(body), encoding)])

    return asyncio.run(collect())


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
        ("lz4", lz4.frame.compress),
        ("", lambda data: data),
    ],
)
def test_each_encoding_decodes_a_body_of_several_frames(encoding: str, compress: Callable[[bytes], bytes]) -> None:
    body = b"".join(compress(part) for part in PARTS) if encoding != "deflate" else compress(b"".join(PARTS))

    assert _decode(body, encoding) == b"".join(PARTS)


def test_an_unknown_encoding_is_clickhouses_not_implemented_error() -> None:
    with pytest.raises(WarehouseError) as refused:
        _decode(b"x", "br")

    assert refused.value.code == 48
    assert "Unknown HTTP Content-Encoding 'br'" in refused.value.text
