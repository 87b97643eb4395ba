"""A query's answer as chunks of bytes, with the counters ClickHouse reports in ``X-ClickHouse-Summary``."""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from chdb.state.sqlitelike import Connection, StreamingResult

from warehouse.errors import WarehouseError, engine_errors

_READ_AHEAD_CHUNKS = 2


@dataclass
class Summary:
    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add_result(self, chunk: Any) -> bytes:
        """Count one chunk of chDB's answer and return its bytes."""
        body: bytes = chunk.bytes()
        self.read_rows += chunk.storage_rows_read() or chunk.rows_read()
        self.read_bytes += chunk.storage_bytes_read() or chunk.bytes_read()
        self.written_rows += chunk.rows_written()
        self.written_bytes += chunk.bytes_written()
        self.result_rows += chunk.rows_read()
        self.result_bytes += len(body)
        return body

    def header(self) -> str:
        counters = {
            "read_rows": self.read_rows,
            "read_bytes": self.read_bytes,
            "written_rows": self.written_rows,
            "written_bytes": self.written_bytes,
            "total_rows_to_read": self.read_rows,
            "result_rows": self.result_rows,
            "result_bytes": self.result_bytes,
            "elapsed_ns": int((time.perf_counter() - self.started) * 1e9),
        }
        return json.dumps({name: str(value) for name, value in counters.items()}, separators=(",", ":"))


class QueryAnswer:
    """The answer to one statement: streamed block by block where the format allows, whole otherwise.

    The first chunks are fetched before any header goes out, so an error in
    planning or in the first block is still an HTTP error with its code.
    """

    def __init__(
        self, connection: Connection, sql: str, format_name: str, params: dict[str, str], streams: bool
    ) -> None:
        self.summary = Summary()
        self._pending: deque[bytes] = deque()
        self._stream: StreamingResult | None = None
        try:
            with engine_errors():
                if streams:
                    self._stream = connection.send_query(sql, format_name, params)
                    while len(self._pending) < _READ_AHEAD_CHUNKS and self._stream is not None:
                        self._fetch()
                else:
                    self._pending.append(self.summary.add_result(connection.query(sql, format_name, params)))
        except WarehouseError:
            self.cancel()
            raise

    @property
    def complete(self) -> bool:
        """Whether the whole answer is already in memory (then the summary is final)."""
        return self._stream is None

    def drain_pending(self) -> bytes:
        body = b"".join(self._pending)
        self._pending.clear()
        return body

    def next_chunk(self) -> bytes | None:
        """The next block, or None at the end; raises the engine's error as ClickHouse's."""
        if self._pending:
            return self._pending.popleft()
        if self._stream is None:
            return None
        try:
            with engine_errors():
                self._fetch()
        except WarehouseError:
            self.cancel()
            raise
        return self._pending.popleft() if self._pending else None

    def _fetch(self) -> None:
        assert self._stream is not None
        chunk = self._stream.fetch()
        if chunk is None:
            self._stream = None
        else:
            self._pending.append(self.summary.add_result(chunk))

    def cancel(self) -> None:
        """Stop the query in the engine if it is still producing blocks."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.cancel()
