"""Request bodies decoded chunk by chunk, including several compressed frames in one body."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Callable

import lz4.frame
import pytest
import zstandard

from warehouse.compression import PIECE_BYTES, decoded_body
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


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("lz4", lz4.frame.compress), ("zstd", zstandard.ZstdCompressor().compress)],
)
def test_a_compression_bomb_unfolds_in_bounded_pieces(encoding: str, compress: Callable[[bytes], bytes]) -> None:
    bomb = compress(bytes(64 << 20))

    async def largest_piece() -> tuple[int, int]:
        sizes = [len(piece) async for piece in decoded_body(_chunks(bomb, size=1 << 16), encoding)]
        return max(sizes), sum(sizes)

    largest, total = asyncio.run(largest_piece())

    assert total == 64 << 20
    assert largest <= 8 * PIECE_BYTES


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("lz4", lz4.frame.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
    ],
)
def test_a_body_cut_off_mid_frame_is_refused_not_taken_in_part(
    encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    whole = compress(b"".join(PARTS))

    with pytest.raises(WarehouseError) as refused:
        _decode(whole[: len(whole) // 2], encoding)

    assert refused.value.code == 271
