"""The warehouse over its HTTP interface, as the read-only login: SQL with bound parameters, rows as dicts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

CONNECT_TIMEOUT_S = 0.5
"""A warehouse that is down refuses at once; one that does not accept within this is treated as down."""


class WarehouseError(RuntimeError):
    """The warehouse did not answer, or answered with an error."""


class Warehouse:
    """Queries the warehouse; values travel as ``param_*`` arguments bound to ``{name:Type}`` placeholders."""

    def __init__(self, url: str, user: str, password: str, timeout_s: float) -> None:
        self.url = url
        self._client = httpx.AsyncClient(
            base_url=url, auth=(user, password), timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S)
        )

    async def rows(self, sql: str, params: Mapping[str, object] | None = None) -> list[dict[str, Any]]:
        """The answer's rows. No settings are sent: a read-only login may change none, so 64-bit ints arrive quoted."""
        bound = {f"param_{name}": str(value) for name, value in (params or {}).items()}
        try:
            answer = await self._client.post("/", params=bound, content=f"{sql} FORMAT JSONEachRow")
        except httpx.HTTPError as error:
            raise WarehouseError(f"warehouse {self.url} did not answer: {type(error).__name__} {error}") from error
        if answer.status_code != httpx.codes.OK:
            first_line = answer.text.strip().splitlines()[0] if answer.text.strip() else ""
            raise WarehouseError(f"warehouse {self.url} answered {answer.status_code}: {first_line[:300]}")
        return [json.loads(line) for line in answer.text.splitlines() if line]

    async def is_serving(self) -> bool:
        try:
            answer = await self._client.get("/ping")
        except httpx.HTTPError:
            return False
        return answer.status_code == httpx.codes.OK

    async def aclose(self) -> None:
        await self._client.aclose()
