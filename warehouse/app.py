"""The ClickHouse HTTP interface as a Starlette app: `/` answers queries; `/ping`, `/replicas_status` health."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager
from typing import Any, TypeVar

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from warehouse.answer_body import AnswerBody
from warehouse.auth import authenticate
from warehouse.config import WarehouseConfig, WarehouseUser
from warehouse.engine import Engine, apply_context, restore_context, save_context
from warehouse.engine_config import query_tag
from warehouse.errors import Code, WarehouseError, engine_errors
from warehouse.formats import content_type, is_streamable, output_format
from warehouse.origins import cors_headers, refuse_foreign_origin
from warehouse.requests import Insert, ParsedRequest, Statement, parse_request
from warehouse.results import QueryAnswer, Summary
from warehouse.statements import with_user_functions

log = logging.getLogger("warehouse.queries")

SERVER_NAME = "lakehouse-warehouse"
SESSION_SWEEP_S = 5.0
SHUTDOWN_WAIT_S = 30.0
T = TypeVar("T")


class EngineWork:
    """Every call into chDB runs in a worker thread through here, so shutdown knows what is still running.

    A worker thread outlives a cancelled request; the engine is closed only
    once no thread is inside it, and running streams are cancelled first.
    """

    def __init__(self) -> None:
        self._running = 0
        self._lock = threading.Condition()
        self.answers: set[QueryAnswer] = set()

    async def run(self, call: Callable[..., T], *arguments: Any) -> T:
        return await anyio.to_thread.run_sync(self._counted, call, *arguments)

    def _counted(self, call: Callable[..., T], *arguments: Any) -> T:
        with self._lock:
            self._running += 1
        try:
            return call(*arguments)
        finally:
            with self._lock:
                self._running -= 1
                self._lock.notify_all()

    def stop(self, timeout_s: float) -> bool:
        """Cancel running streams and wait for every thread to leave the engine; False if some did not."""
        for answer in list(self.answers):
            answer.cancel()
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._running and time.monotonic() < deadline:
                self._lock.wait(0.1)
            return self._running == 0


def readonly_level(user: WarehouseUser, method: str) -> int:
    """ClickHouse's rule: a read-only user reads only; any GET is read-only but may change settings."""
    if user.readonly:
        return 1
    return 2 if method == "GET" else 0


class RunningQueries:
    """Query ids in flight, and how many each user has running, for ClickHouse's per-user cap."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.per_user: dict[str, int] = {}

    def enter(self, stack: ExitStack, query_id: str, user: WarehouseUser) -> None:
        if query_id in self.ids:
            raise WarehouseError.of(
                Code.QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING, f"Query with id = {query_id} is already running"
            )
        running = self.per_user.get(user.name, 0)
        if user.max_concurrent_queries and running >= user.max_concurrent_queries:
            raise WarehouseError.of(
                Code.TOO_MANY_SIMULTANEOUS_QUERIES,
                f"Too many simultaneous queries for user {user.name}. Current: {running}, "
                f"maximum: {user.max_concurrent_queries}",
            )
        self.ids.add(query_id)
        self.per_user[user.name] = running + 1
        stack.callback(self._leave, query_id, user.name)

    def _leave(self, query_id: str, user: str) -> None:
        self.ids.discard(query_id)
        self.per_user[user] -= 1


def create_app(config: WarehouseConfig, engine: Engine) -> Starlette:
    running = RunningQueries()
    work = EngineWork()

    async def ping(_: Request) -> Response:
        return PlainTextResponse("Ok.\n")

    async def preflight(request: Request) -> Response:
        return Response(status_code=204, headers=cors_headers(config, request, preflight=True))

    async def query(request: Request) -> Response:
        query_id = request.query_params.get("query_id") or str(uuid.uuid4())
        stack = ExitStack()
        user: WarehouseUser | None = None
        try:
            refuse_foreign_origin(config, request)
            user = authenticate(config, request)
            parsed = await parse_request(config, request)
            if parsed.work is None:
                if request.method == "GET":
                    return PlainTextResponse("Ok.\n")
                raise WarehouseError.of(Code.SYNTAX_ERROR, "Empty query")
            running.enter(stack, query_id, user)
            tag = query_tag(user.name, session_id=parsed.session_id) if parsed.session_id else None
            tag = tag or query_tag(user.name, query_id=query_id)
            connection = await _connection(stack, work, engine, parsed, user, request.method, tag)
            if isinstance(parsed.work, Insert):
                summary = await _insert(work, connection, parsed.work)
                stack.close()
                _log(user.name, query_id, parsed.work.statement.statement, summary)
                return Response(
                    parsed.answer_body.whole(b""),
                    headers={
                        **_headers(query_id, "TabSeparated", summary, engine.timezone),
                        **parsed.answer_body.headers(),
                    },
                )
            assert isinstance(parsed.work, Statement)
            sql = with_user_functions(parsed.work.sql, user.name)
            format_name = output_format(parsed.work.facts, parsed.default_format)
            streams = is_streamable(format_name) and parsed.work.facts.returns_rows
            answer = await _unless_client_leaves(
                request, work.run(QueryAnswer, connection, sql, format_name, parsed.params, streams),
                lambda: work.run(engine.kill, tag),
            )  # fmt: skip
        except WarehouseError as error:
            stack.close()
            log.info("query_id=%s failed: %s", query_id, error.text.strip()[:300])
            return _error_response(error.naming(user.name) if user else error, query_id)
        except Exception as error:  # any other failure still answers as ClickHouse does, and is logged
            stack.close()
            log.exception("query_id=%s failed unexpectedly", query_id)
            return _error_response(WarehouseError.from_engine(error), query_id)
        except BaseException:
            stack.close()
            raise
        body = parsed.answer_body
        headers = {
            **_headers(query_id, format_name, answer.summary, engine.timezone),
            **cors_headers(config, request),
            **body.headers(),
        }
        if answer.complete:
            stack.close()
            _log(user.name, query_id, sql, answer.summary)
            return Response(body.whole(answer.drain_pending()), headers=headers, media_type=content_type(format_name))
        work.answers.add(answer)
        stack.callback(work.answers.discard, answer)
        return StreamingResponse(
            _stream(
                work,
                answer,
                body,
                stack,
                lambda: engine.kill(tag),
                lambda: _log(user.name, query_id, sql, answer.summary),
            ),
            headers=headers,
            media_type=content_type(format_name),
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        sweeper = asyncio.get_running_loop().create_task(_sweep_sessions(engine))
        yield
        sweeper.cancel()
        if not await anyio.to_thread.run_sync(work.stop, SHUTDOWN_WAIT_S):
            logging.getLogger("warehouse").warning(
                "queries still running %.0fs after shutdown began; exiting without waiting for them", SHUTDOWN_WAIT_S
            )
            os._exit(1)  # the data path stays locked until this process is gone; chDB's storage survives it
        engine.close()

    routes = [
        Route("/ping", ping, methods=["GET", "HEAD"]),
        Route("/replicas_status", ping, methods=["GET", "HEAD"]),
        Route("/", query, methods=["GET", "POST"]),
        Route("/", preflight, methods=["OPTIONS"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _connection(
    stack: ExitStack,
    work: EngineWork,
    engine: Engine,
    parsed: ParsedRequest,
    user: WarehouseUser,
    method: str,
    tag: str,
) -> Any:
    """The request's connection with its readonly level, tag, limits, database and settings; the stack undoes them."""
    readonly = readonly_level(user, method)
    if parsed.session_id and readonly == 2:
        raise WarehouseError.of(
            Code.READONLY, "A GET request is read-only, but this session may write; send its queries by POST"
        )
    fixed = {"log_comment": tag, **user.limits}
    connection, in_session = stack.enter_context(
        engine.connection_for(
            parsed.session_id, user.name, readonly, fixed, parsed.session_timeout_s, parsed.session_check
        )
    )
    if in_session:
        saved = await work.run(save_context, connection, parsed.context)
        if saved is not None:
            stack.callback(restore_context, connection, saved)
    await work.run(apply_context, connection, parsed.context)
    return connection


async def _insert(work: EngineWork, connection: Any, insert: Insert) -> Summary:
    """Stream the INSERT's data into chDB; anything that fails cancels it, so nothing is half committed by us."""
    statement, summary = insert.statement, Summary()
    with engine_errors():
        inserter = await work.run(connection.send_insert, statement.statement, statement.format_name)
        try:
            if insert.head:
                await work.run(inserter.append, insert.head)
            async for chunk in insert.data:
                await work.run(inserter.append, chunk)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await work.run(inserter.cancel)
            raise
        result = await work.run(inserter.finish)
    summary.written_rows, summary.written_bytes = result.rows_written, result.bytes_written
    return summary


async def _stream(
    work: EngineWork,
    answer: QueryAnswer,
    body: AnswerBody,
    stack: ExitStack,
    kill: Callable[[], None],
    on_done: Callable[[], None],
) -> AsyncIterator[bytes]:
    """Send the answer block by block; a client that goes away cancels the query in the engine."""
    finished = False
    try:
        yield body.chunk(answer.drain_pending())
        while (chunk := await work.run(answer.next_chunk)) is not None:
            yield body.chunk(chunk)
        finished = True
        on_done()
        yield body.end()
    except WarehouseError as error:
        finished = True
        yield body.whole(("\n" + error.text).encode())  # headers are gone: ClickHouse appends the error to the body
    finally:
        with anyio.CancelScope(shield=True):
            try:
                if not finished:  # a worker may be waiting inside the engine for a block that is slow to come
                    await anyio.to_thread.run_sync(kill)
                await work.run(answer.cancel)
            finally:
                stack.close()


async def _unless_client_leaves(request: Request, answer: Awaitable[T], kill: Callable[[], Awaitable[None]]) -> T:
    """Await the engine's answer; if the client hangs up first, kill the query so it stops within a second.

    The request body has been read by now, so the next ASGI message can only
    be the client's disconnect.
    """

    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            continue
        await kill()

    watcher = asyncio.get_running_loop().create_task(watch())
    try:
        return await answer
    finally:
        watcher.cancel()


async def _sweep_sessions(engine: Engine) -> None:
    """Close sessions idle past their timeout even when no request comes to notice."""
    while True:
        await asyncio.sleep(SESSION_SWEEP_S)
        await anyio.to_thread.run_sync(engine.close_expired_sessions)


def _headers(query_id: str, format_name: str, summary: Summary, timezone: str) -> dict[str, str]:
    return {
        "X-ClickHouse-Query-Id": query_id,
        "X-ClickHouse-Timezone": timezone,
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
