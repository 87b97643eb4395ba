"""Request bodies compressed the ways ClickHouse clients send them (``Content-Encoding``), decoded as they arrive.

Responses are sent uncompressed, which is what ClickHouse does when
``enable_http_compression`` is off; clients read the missing
``Content-Encoding`` and take the body as it is.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from typing import Protocol

import lz4.frame
import zstandard

from warehouse.errors import NOT_IMPLEMENTED, WarehouseError


class _Decoder(Protocol):
    def decode(self, chunk: bytes) -> bytes: ...


class _Zlib:
    def __init__(self, window_bits: int) -> None:
        self._window_bits = window_bits
        self._inner = zlib.decompressobj(window_bits)

    def decode(self, chunk: bytes) -> bytes:
        out = self._inner.decompress(chunk)
        while self._inner.eof and self._inner.unused_data:  # concatenated gzip members
            rest = self._inner.unused_data
            self._inner = zlib.decompressobj(self._window_bits)
            out += self._inner.decompress(rest)
        return out


class _Lz4Frames:
    def __init__(self) -> None:
        self._inner = lz4.frame.LZ4FrameDecompressor()

    def decode(self, chunk: bytes) -> bytes:
        out = b""
        while chunk:
            out += self._inner.decompress(chunk)
            chunk = self._inner.unused_data if self._inner.eof else b""
            if self._inner.eof:
                self._inner = lz4.frame.LZ4FrameDecompressor()
        return out


class _Zstd:
    def __init__(self) -> None:
        self._inner = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)

    def decode(self, chunk: bytes) -> bytes:
        out: bytes = self._inner.decompress(chunk)
        return out


class _Identity:
    def decode(self, chunk: bytes) -> bytes:
        return chunk


def _decoder(encoding: str) -> _Decoder:
    match encoding:
        case "" | "identity" | "none":
            return _Identity()
        case "gzip" | "x-gzip":
            return _Zlib(16 + zlib.MAX_WBITS)
        case "deflate":
            return _Zlib(zlib.MAX_WBITS)
        case "zstd":
            return _Zstd()
        case "lz4":
            return _Lz4Frames()
    raise WarehouseError.of(
        NOT_IMPLEMENTED,
        f"Unknown HTTP Content-Encoding '{encoding}'. Supported: gzip, deflate, zstd, lz4 or none",
    )


async def decoded_body(chunks: AsyncIterator[bytes], encoding: str) -> AsyncIterator[bytes]:
    """The request body with its ``Content-Encoding`` undone, chunk by chunk."""
    decoder = _decoder(encoding.strip().lower())
    async for chunk in chunks:
        if chunk and (out := decoder.decode(chunk)):
            yield out
