"""ClickHouse's own block compression (``compress=1`` answers, ``decompress=1`` bodies), framed as ClickHouse frames it.

A frame is a 16-byte CityHash128 (v1.0.2, ClickHouse's) of the rest, then a
method byte, the compressed size (payload + these 9 bytes) and the
uncompressed size as little-endian UInt32, then the payload. The official
drivers (JDBC, clickhouse-driver) ask for LZ4 answers this way by default.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from enum import IntEnum

import lz4.block
import zstandard
from clickhouse_cityhash.cityhash import CityHash128

from warehouse.errors import WarehouseError

CHECKSUM_BYTES = 16
HEADER = struct.Struct("<BII")
MAX_FRAME_BYTES = 0x40000000
"""ClickHouse's DBMS_MAX_COMPRESSED_SIZE; an uncompressed size above it is refused the same way."""
ANSWER_BLOCK_BYTES = 1 << 20
_LOW_64 = (1 << 64) - 1


class Method(IntEnum):
    NONE = 0x02
    LZ4 = 0x82
    ZSTD = 0x90


class BlockError(IntEnum):
    """The codes ClickHouse answers a bad compressed body with (all HTTP 500)."""

    CANNOT_READ_ALL_DATA = 33
    TOO_LARGE_SIZE_COMPRESSED = 39
    CANNOT_DECOMPRESS = 271
    UNKNOWN_CODEC = 432


def _error(code: BlockError, message: str) -> WarehouseError:
    return WarehouseError(code.value, f"Code: {code.value}. DB::Exception: {message}. ({code.name})")


def _checksum(framed: bytes) -> bytes:
    digest: int = CityHash128(framed)
    return struct.pack("<QQ", digest >> 64, digest & _LOW_64)


def frame(raw: bytes, method: Method = Method.LZ4) -> bytes:
    """``raw`` as ClickHouse frames one block (answers are LZ4, as a server sends them)."""
    payload: bytes
    if method is Method.LZ4:
        payload = lz4.block.compress(raw, store_size=False)
    elif method is Method.ZSTD:
        payload = zstandard.ZstdCompressor().compress(raw)
    else:
        payload = raw
    framed = HEADER.pack(method, HEADER.size + len(payload), len(raw)) + payload
    return _checksum(framed) + framed


def frames(raw: bytes) -> bytes:
    """An answer chunk of any size as frames of at most ``ANSWER_BLOCK_BYTES`` each."""
    return b"".join(frame(raw[start : start + ANSWER_BLOCK_BYTES]) for start in range(0, len(raw), ANSWER_BLOCK_BYTES))


def _unframe(framed: bytes, expected: bytes, uncompressed_size: int) -> bytes:
    if _checksum(framed) != expected:
        raise _error(BlockError.CANNOT_DECOMPRESS, "Checksum doesn't match: corrupted data")
    method, payload = framed[0], framed[HEADER.size :]
    raw: bytes
    try:
        if method == Method.LZ4:
            raw = lz4.block.decompress(payload, uncompressed_size=uncompressed_size)
        elif method == Method.ZSTD:
            raw = zstandard.ZstdDecompressor().decompress(payload, max_output_size=uncompressed_size)
        elif method == Method.NONE:
            raw = payload
        else:
            raise _error(BlockError.UNKNOWN_CODEC, f"Unknown codec family code: {method}")
    except (lz4.block.LZ4BlockError, zstandard.ZstdError) as error:
        raise _error(BlockError.CANNOT_DECOMPRESS, f"Cannot decompress the block: {error}") from None
    if len(raw) != uncompressed_size:
        raise _error(BlockError.CANNOT_DECOMPRESS, "The block's uncompressed size does not match its header")
    return raw


async def unframed(chunks: AsyncIterator[bytes], size_limit: int) -> AsyncIterator[bytes]:
    """A ``decompress=1`` body's blocks; a frame claiming more than ``size_limit`` is refused before it is read."""
    limit = min(size_limit, MAX_FRAME_BYTES)
    pending = bytearray()
    async for chunk in chunks:
        pending += chunk
        start = 0
        while len(pending) - start >= CHECKSUM_BYTES + HEADER.size:
            method, compressed_size, uncompressed_size = HEADER.unpack_from(pending, start + CHECKSUM_BYTES)
            if method not in Method.__members__.values():
                raise _error(BlockError.UNKNOWN_CODEC, f"Unknown codec family code: {method}")
            if compressed_size > limit or uncompressed_size > limit:
                raise _error(
                    BlockError.TOO_LARGE_SIZE_COMPRESSED,
                    f"Too large size_compressed: {compressed_size} or size_decompressed: {uncompressed_size}; "
                    f"at most {limit} bytes",
                )
            if compressed_size < HEADER.size:
                raise _error(BlockError.CANNOT_DECOMPRESS, f"Invalid compressed block size: {compressed_size}")
            end = start + CHECKSUM_BYTES + compressed_size
            if len(pending) < end:
                break
            framed = bytes(pending[start + CHECKSUM_BYTES : end])
            yield _unframe(framed, bytes(pending[start : start + CHECKSUM_BYTES]), uncompressed_size)
            start = end
        del pending[:start]
    if pending:
        raise _error(
            BlockError.CANNOT_READ_ALL_DATA,
            f"Cannot read all data: the compressed body ends {len(pending)} bytes into an incomplete block",
        )
