"""Every request timed, counted and logged as one JSON line with its request id (an ASGI middleware)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import ApiMetrics

logger = logging.getLogger("serving.access")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
"""A caller's ``x-request-id`` is kept only when it is this plain; anything else could forge log lines."""
CURRENT_REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
"""The request being answered, for the lines the routes log about it."""
MAX_URL_CHARS = 2048
MAX_BODY_BYTES = 1024
"""Every route is a GET: a request with a body larger than this is refused unread."""


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path_format", None) or getattr(route, "path", "unmatched"))


class AccessLog:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        offered = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = offered if REQUEST_ID.match(offered) else uuid.uuid4().hex
        current = CURRENT_REQUEST_ID.set(request_id)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        refusal = _refusal(scope, headers)
        try:
            if refusal is not None:
                await _refuse(send_with_id, *refusal)
            else:
                await self._app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            self._metrics.request_seconds.labels(route).observe(elapsed)
            self._metrics.answers.labels(route, str(status)).inc()
            line: dict[str, Any] = {
                "request_id": request_id,
                "method": scope["method"],
                "route": route,
                "status": status,
                "ms": round(elapsed * 1000, 2),
            }
            logger.info(json.dumps(line))
            CURRENT_REQUEST_ID.reset(current)


def _refusal(scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
    length = headers.get(b"content-length", b"0")
    if len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) > MAX_URL_CHARS:
        return 414, f"the URL is longer than {MAX_URL_CHARS} characters"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES or b"chunked" in headers.get(b"transfer-encoding", b""):
        return 413, f"a request body may hold at most {MAX_BODY_BYTES} bytes"
    return None


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
