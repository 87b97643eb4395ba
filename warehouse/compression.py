"""Request bodies compressed the ways ClickHouse clients send them (``Content-Encoding``), decoded as they arrive.

Each decoder hands out at most ``PIECE_BYTES`` at a time, so a small body
that inflates to gigabytes meets the body limit piece by piece instead of
being expanded in one call. Responses are sent uncompressed, which is what
ClickHouse does when ``enable_http_compression`` is off; clients read the
missing ``Content-Encoding`` and take the body as it is.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Protocol

import lz4.frame
import zstandard

from warehouse.errors import Code, WarehouseError

PIECE_BYTES = 1 << 20
_ZSTD_INPUT_BYTES = 256  # zstd cannot cap its output per call, so it is fed a little input at a time


class _Decoder(Protocol):
    def decode(self, chunk: bytes) -> Iterator[bytes]: ...

    @property
    def complete(self) -> bool:
        """Whether the input so far ends where a compressed stream may end, not cut off mid-frame."""
        ...


class _Zlib:
    def __init__(self, window_bits: int) -> None:
        self._window_bits = window_bits
        self._inner = zlib.decompressobj(window_bits)
        self.complete = True

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        while True:
            self.complete = self.complete and not chunk
            piece = self._inner.decompress(chunk, PIECE_BYTES)
            yield piece
            chunk = self._inner.unconsumed_tail
            if self._inner.eof:  # a gzip body may hold several members
                self.complete = True
                chunk = self._inner.unused_data + chunk
                self._inner = zlib.decompressobj(self._window_bits)
                if not chunk:
                    return
            elif not chunk and len(piece) < PIECE_BYTES:
                return


class _Lz4Frames:
    def __init__(self) -> None:
        self._inner = lz4.frame.LZ4FrameDecompressor()
        self.complete = True

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        while True:
            self.complete = self.complete and not chunk
            yield self._inner.decompress(chunk, max_length=PIECE_BYTES)
            if self._inner.eof:  # a body may hold several frames
                self.complete = True
                chunk = self._inner.unused_data
                self._inner = lz4.frame.LZ4FrameDecompressor()
                if not chunk:
                    return
            elif self._inner.needs_input:
                return
            else:
                chunk = b""


class _Zstd:
    def __init__(self) -> None:
        self._inner = zstandard.ZstdDecompressor().decompressobj()
        self.complete = True

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        for start in range(0, len(chunk), _ZSTD_INPUT_BYTES):
            piece = chunk[start : start + _ZSTD_INPUT_BYTES]
            while piece:
                self.complete = False
                yield self._inner.decompress(piece)
                piece = b""
                if self._inner.eof:  # a body may hold several frames
                    self.complete = True
                    piece = self._inner.unused_data
                    self._inner = zstandard.ZstdDecompressor().decompressobj()


class _Xz:
    def __init__(self) -> None:
        self._inner = lzma.LZMADecompressor()

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        yield self._inner.decompress(chunk, PIECE_BYTES)
        while not self._inner.needs_input and not self._inner.eof:
            yield self._inner.decompress(b"", PIECE_BYTES)

    @property
    def complete(self) -> bool:
        return self._inner.eof


class _Identity:
    complete = True

    def decode(self, chunk: bytes) -> Iterator[bytes]:
        yield chunk


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
        case "xz":
            return _Xz()
    raise WarehouseError.of(
        Code.NOT_IMPLEMENTED,
        f"Unknown HTTP Content-Encoding '{encoding}'. Supported: gzip, deflate, zstd, lz4, xz or none",
    )


async def decoded_body(chunks: AsyncIterator[bytes], encoding: str) -> AsyncIterator[bytes]:
    """The request body with its ``Content-Encoding`` undone, in pieces of at most ``PIECE_BYTES``."""
    name = encoding.strip().lower()
    decoder = _decoder(name)
    async for chunk in chunks:
        pieces = decoder.decode(chunk)
        while True:
            try:
                piece = next(pieces, None)
            except (zlib.error, RuntimeError, lzma.LZMAError, zstandard.ZstdError) as error:
                raise WarehouseError.of(Code.CANNOT_DECOMPRESS, f"Cannot decompress the {name} body: {error}") from None
            if piece is None:
                break
            if piece:
                yield piece
    if not decoder.complete:
        raise WarehouseError.of(Code.CANNOT_DECOMPRESS, f"The {name} body ends in the middle of a compressed frame")
