"""The warehouse over its HTTP interface, as the read-only login: SQL with bound parameters, rows as dicts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx

PARSE_ASIDE_BYTES = 1 << 16
"""Answers larger than this are parsed in a thread, so a score load never holds the event loop."""
CONNECT_TIMEOUT_S = 0.5
"""A warehouse that is down refuses at once; one that does not accept within this is treated as down."""


class WarehouseError(RuntimeError):
    """The warehouse did not answer, or answered with an error."""


class WarehouseUnavailableError(WarehouseError):
    """The warehouse did not answer, or failed on its side (5xx): what the insight routes' breaker counts."""


def escaped(value: object) -> str:
    """A parameter's value as ClickHouse reads ``param_*`` (escaped text): a backslash, tab or newline stays itself."""
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _parsed(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line]


class Warehouse:
    """Queries the warehouse; values travel as ``param_*`` arguments bound to ``{name:Type}`` placeholders."""

    def __init__(self, url: str, user: str, password: str, timeout_s: float, concurrency: int) -> None:
        """``concurrency``: queries sent at once, at most; the rest wait up to ``timeout_s`` for their turn."""
        self.url = url
        self._client = httpx.AsyncClient(
            base_url=url, auth=(user, password), timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S)
        )
        self._timeout_s = timeout_s
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)

    async def rows(self, sql: str, params: Mapping[str, object] | None = None) -> list[dict[str, Any]]:
        """The answer's rows. No settings are sent: a read-only login may change none, so 64-bit ints arrive quoted."""
        bound = {f"param_{name}": escaped(value) for name, value in (params or {}).items()}
        await self._take_a_slot()
        try:
            answer = await self._client.post("/", params=bound, content=f"{sql} FORMAT JSONEachRow")
        except httpx.HTTPError as error:
            raise WarehouseUnavailableError(
                f"warehouse {self.url} did not answer: {type(error).__name__} {error}"
            ) from error
        finally:
            self._slots.release()
        if answer.status_code != httpx.codes.OK:
            first_line = answer.text.strip().splitlines()[0] if answer.text.strip() else ""
            failure = WarehouseUnavailableError if answer.status_code >= 500 else WarehouseError
            raise failure(f"warehouse {self.url} answered {answer.status_code}: {first_line[:300]}")
        if len(answer.content) > PARSE_ASIDE_BYTES:
            return await asyncio.to_thread(_parsed, answer.text)
        return _parsed(answer.text)

    async def _take_a_slot(self) -> None:
        """Wait for one of the ``concurrency`` slots; a warehouse too slow to free one in time counts as unavailable."""
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._slots.acquire()
        except TimeoutError:
            raise WarehouseUnavailableError(
                f"warehouse {self.url}: no query slot free within {self._timeout_s:g} s "
                f"({self._concurrency} queries already running)"
            ) from None

    async def is_serving(self) -> bool:
        try:
            answer = await self._client.get("/ping")
        except httpx.HTTPError:
            return False
        return answer.status_code == httpx.codes.OK

    async def aclose(self) -> None:
        await self._client.aclose()
