"""The ClickHouse HTTP interface as a Starlette app: `/` answers queries; `/ping`, `/replicas_status` health."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from warehouse.auth import authenticate
from warehouse.config import WarehouseConfig
from warehouse.engine import Engine, apply_context, restore_context
from warehouse.errors import QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING, SYNTAX_ERROR, WarehouseError
from warehouse.formats import content_type, output_format
from warehouse.requests import Insert, Statement, parse_request
from warehouse.results import QueryAnswer, Summary, append_rows, finish_insert, open_insert

log = logging.getLogger("warehouse.queries")

SERVER_NAME = "lakehouse-warehouse"


def create_app(config: WarehouseConfig, engine: Engine) -> Starlette:
    running: set[str] = set()

    async def ping(_: Request) -> Response:
        return PlainTextResponse("Ok.\n")

    async def query(request: Request) -> Response:
        query_id = request.query_params.get("query_id") or str(uuid.uuid4())
        stack = ExitStack()
        try:
            user = authenticate(config, request)
            parsed = await parse_request(config, request)
            if parsed.work is None:
                if request.method == "GET":
                    return PlainTextResponse("Ok.\n")
                raise WarehouseError.of(SYNTAX_ERROR, "Empty query")
            if query_id in running:
                raise WarehouseError.of(
                    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING, f"Query with id = {query_id} is already running"
                )
            running.add(query_id)
            stack.callback(running.discard, query_id)
            readonly = user.readonly or (request.method == "GET" and not parsed.session_id)
            connection, in_session = stack.enter_context(
                engine.connection_for(
                    parsed.session_id, user.name, readonly, parsed.session_timeout_s, parsed.session_check
                )
            )
            saved = await anyio.to_thread.run_sync(apply_context, connection, parsed.context, in_session)
            if saved is not None:
                stack.callback(restore_context, connection, saved)
            if isinstance(parsed.work, Insert):
                summary = await _insert(connection, parsed.work)
                _log(user.name, query_id, parsed.work.statement.statement, summary)
                stack.close()
                return Response(b"", headers=_headers(query_id, "TabSeparated", summary))
            assert isinstance(parsed.work, Statement)
            sql = parsed.work.sql
            format_name = output_format(sql, parsed.default_format)
            answer = await anyio.to_thread.run_sync(QueryAnswer, connection, sql, format_name, parsed.params)
        except WarehouseError as error:
            stack.close()
            log.info("query_id=%s failed: %s", query_id, error.text.strip()[:300])
            return _error_response(error, query_id)
        headers = _headers(query_id, format_name, answer.summary)
        if answer.complete:
            stack.close()
            _log(user.name, query_id, sql, answer.summary)
            return Response(answer.drain_pending(), headers=headers, media_type=content_type(format_name))
        return StreamingResponse(
            _stream(answer, stack, lambda: _log(user.name, query_id, sql, answer.summary)),
            headers=headers,
            media_type=content_type(format_name),
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        engine.close()

    routes = [
        Route("/ping", ping, methods=["GET", "HEAD"]),
        Route("/replicas_status", ping, methods=["GET", "HEAD"]),
        Route("/", query, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _insert(connection: Any, insert: Insert) -> Summary:
    summary = Summary()
    inserter = await anyio.to_thread.run_sync(
        open_insert, connection, insert.statement.statement, insert.statement.format_name
    )
    try:
        if insert.head.strip():
            await anyio.to_thread.run_sync(append_rows, inserter, insert.head)
        async for chunk in insert.data:
            await anyio.to_thread.run_sync(append_rows, inserter, chunk)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(inserter.cancel)
        raise
    await anyio.to_thread.run_sync(finish_insert, inserter, summary)
    return summary


async def _stream(answer: QueryAnswer, stack: ExitStack, on_done: Any) -> AsyncIterator[bytes]:
    """Send the answer block by block; a client that goes away cancels the query in the engine."""
    try:
        yield answer.drain_pending()
        while (chunk := await anyio.to_thread.run_sync(answer.next_chunk)) is not None:
            yield chunk
        on_done()
    except WarehouseError as error:
        yield ("\n" + error.text).encode()  # headers are gone: ClickHouse appends the exception to the body
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(answer.cancel)
            stack.close()


def _headers(query_id: str, format_name: str, summary: Summary) -> dict[str, str]:
    return {
        "X-ClickHouse-Query-Id": query_id,
        "X-ClickHouse-Format": format_name,
        "X-ClickHouse-Summary": summary.header(),
        "X-ClickHouse-Server-Display-Name": SERVER_NAME,
    }


def _error_response(error: WarehouseError, query_id: str) -> Response:
    return PlainTextResponse(
        error.text,
        status_code=error.http_status,
        headers={
            "X-ClickHouse-Exception-Code": str(error.code),
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Server-Display-Name": SERVER_NAME,
        },
    )


def _log(user: str, query_id: str, sql: str, summary: Summary) -> None:
    log.info(
        "user=%s query_id=%s rows=%s written=%s %s",
        user, query_id, summary.result_rows, summary.written_rows, " ".join(sql.split())[:200],
    )  # fmt: skip
