"""HTTP compression as ClickHouse does it: request bodies by ``Content-Encoding``, answers by ``Accept-Encoding``.

Each decoder hands out at most ``PIECE_BYTES`` at a time, so a small body
that inflates to gigabytes meets the body limit piece by piece instead of
being expanded in one call. Answers are compressed only when the query has
``enable_http_compression=1`` and the client accepts a method, which is what
ClickHouse does; each chunk is flushed, so a streamed answer stays streamed.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Protocol

import brotli
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


ANSWER_ENCODINGS = ("zstd", "br", "lz4", "gzip", "deflate", "xz", "bz2")
"""ClickHouse's order of preference: the first of these named in ``Accept-Encoding`` is used, whatever the q-values."""


class AnswerEncoder:
    """Compresses an answer chunk by chunk in one HTTP ``Content-Encoding``; ``finish`` ends the stream."""

    def __init__(self, encoding: str, level: int) -> None:
        self.encoding = encoding
        self._encode, self._flush, self._finish = _encoder(encoding, level)

    def encode(self, chunk: bytes) -> bytes:
        return self._encode(chunk) + self._flush()

    def finish(self) -> bytes:
        return self._finish()


def _encoder(encoding: str, level: int) -> tuple[Callable[[bytes], bytes], Callable[[], bytes], Callable[[], bytes]]:
    match encoding:
        case "gzip" | "deflate":
            zlib_stream = zlib.compressobj(level, zlib.DEFLATED, (16 if encoding == "gzip" else 0) + zlib.MAX_WBITS)
            return zlib_stream.compress, lambda: zlib_stream.flush(zlib.Z_SYNC_FLUSH), zlib_stream.flush
        case "zstd":
            zstd_stream = zstandard.ZstdCompressor(level=level).compressobj()
            return (
                zstd_stream.compress,
                lambda: zstd_stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK),
                zstd_stream.flush,
            )
        case "br":
            brotli_stream = brotli.Compressor(quality=min(level, 11))
            return brotli_stream.process, brotli_stream.flush, brotli_stream.finish
        case "lz4":
            lz4_stream = lz4.frame.LZ4FrameCompressor(auto_flush=True)
            started: list[bytes] = [lz4_stream.begin()]
            return (
                lambda chunk: (started.pop() if started else b"") + lz4_stream.compress(chunk),
                lambda: b"",
                lambda: (started.pop() if started else b"") + lz4_stream.flush(),
            )
        case "xz":
            xz_stream = lzma.LZMACompressor(preset=min(level, 9))
            return xz_stream.compress, lambda: b"", xz_stream.flush
        case "bz2":
            bz2_stream = bz2.BZ2Compressor(max(1, min(level, 9)))
            return bz2_stream.compress, lambda: b"", bz2_stream.flush
    raise ValueError(encoding)


def answer_encoder(accept_encoding: str, level: int) -> AnswerEncoder | None:
    """The encoder for the first of ClickHouse's methods the client accepts, or None to answer uncompressed."""
    for encoding in ANSWER_ENCODINGS:
        if encoding in accept_encoding:
            return AnswerEncoder(encoding, level)
    return None
