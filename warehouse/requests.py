"""A ClickHouse HTTP request read into what to run: a statement, or an INSERT with its data stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from starlette.requests import Request

from warehouse.answer_body import AnswerBody
from warehouse.blocks import unframed
from warehouse.compression import AnswerEncoder, answer_encoder, decoded_body
from warehouse.config import WarehouseConfig
from warehouse.engine import QueryContext
from warehouse.errors import Code, WarehouseError
from warehouse.statements import InsertStatement, StatementFacts, read_statement, split_insert

# URL parameters the HTTP interface itself reads; every other one is a setting for the query.
_INTERFACE_PARAMETERS = frozenset(
    {
        "query", "database", "default_format", "session_id", "session_timeout", "session_check", "query_id",
        "user", "password", "quota_key", "buffer_size", "wait_end_of_query", "stacktrace", "client_protocol_version",
        "compress", "decompress", "role", "http_response_headers",
    }
)  # fmt: skip
_INSERT_HEAD_BYTES = 64 * 1024
DEFAULT_HTTP_COMPRESSION_LEVEL = 3


@dataclass
class Statement:
    """A statement to answer; ``sql`` is complete."""

    sql: str
    facts: StatementFacts


@dataclass
class Insert:
    """An INSERT whose rows arrive in ``data`` in ``statement.format_name``."""

    statement: InsertStatement
    head: bytes
    data: AsyncIterator[bytes]


@dataclass
class ParsedRequest:
    work: Statement | Insert | None
    context: QueryContext
    params: dict[str, str] = field(default_factory=dict)
    default_format: str | None = None
    session_id: str | None = None
    session_timeout_s: int = 60
    session_check: bool = False
    answer_body: AnswerBody = field(default_factory=AnswerBody)


async def parse_request(config: WarehouseConfig, request: Request) -> ParsedRequest:
    url = request.query_params
    database = request.headers.get("x-clickhouse-database") or url.get("database") or None
    settings = {
        name: value
        for name, value in url.items()
        if name not in _INTERFACE_PARAMETERS and not name.startswith("param_")
    }
    parsed = ParsedRequest(
        work=await _work(config, request),
        context=QueryContext(database=database, settings=settings),
        params={name.removeprefix("param_"): value for name, value in url.items() if name.startswith("param_")},
        default_format=request.headers.get("x-clickhouse-format") or url.get("default_format"),
        session_id=url.get("session_id") or None,
        session_timeout_s=_session_timeout(config, url.get("session_timeout")),
        session_check=url.get("session_check") == "1",
        answer_body=AnswerBody(url.get("compress") == "1", _http_encoder(request, settings)),
    )
    return parsed


def _http_encoder(request: Request, settings: dict[str, str]) -> AnswerEncoder | None:
    """ClickHouse compresses answers only with ``enable_http_compression=1`` and a method the client accepts."""
    if settings.get("enable_http_compression", "0").lower() not in ("1", "true"):
        return None
    level = settings.get("http_zlib_compression_level", str(DEFAULT_HTTP_COMPRESSION_LEVEL))
    if not level.isdigit():
        raise WarehouseError.of(Code.CANNOT_PARSE_NUMBER, f"Cannot parse http_zlib_compression_level '{level}'")
    return answer_encoder(request.headers.get("accept-encoding", ""), int(level))


def _session_timeout(config: WarehouseConfig, requested: str | None) -> int:
    if requested is None:
        return config.session_timeout_s
    if not requested.isdigit() or int(requested) > config.max_session_timeout_s:
        raise WarehouseError.of(
            Code.SYNTAX_ERROR, f"Invalid session timeout: '{requested}', max is {config.max_session_timeout_s} seconds"
        )
    return int(requested)


async def _work(config: WarehouseConfig, request: Request) -> Statement | Insert | None:
    """Split the request into a statement and, for an INSERT, its data.

    As in ClickHouse, the query may be in the URL, in the body, or begin in the
    URL and continue in the body (joined by a newline); an INSERT's data
    follows its ``FORMAT <name>`` or ``VALUES`` and is streamed to the engine.
    """
    body = _limited(config, request)
    in_url = request.query_params.get("query", "")
    if in_url:
        insert = split_insert(in_url.encode())
        if insert is not None:
            return Insert(insert, in_url.encode()[insert.data_offset :], body)
        rest = await _read_all(body, config.max_query_bytes, already=len(in_url))
        return _statement(in_url if not rest else f"{in_url}\n{_text(rest)}")
    head = await _read_up_to(body, _INSERT_HEAD_BYTES)
    if not head.strip():
        return None
    insert = split_insert(head)
    if insert is not None:
        return Insert(insert, head[insert.data_offset :], body)
    rest = await _read_all(body, config.max_query_bytes, already=len(head))
    return _statement(_text(head + rest))


def _statement(sql: str) -> Statement:
    facts = read_statement(sql)
    if facts.several_statements:
        raise WarehouseError.of(
            Code.SYNTAX_ERROR, "Syntax error: Multi-statements are not allowed; send one statement per request"
        )
    if facts.writes_server_file:
        raise WarehouseError.of(Code.INTO_OUTFILE_NOT_ALLOWED, "INTO OUTFILE is not allowed")
    return Statement(sql, facts)


def _text(query: bytes) -> str:
    try:
        return query.decode()
    except UnicodeDecodeError as error:
        raise WarehouseError.of(Code.SYNTAX_ERROR, f"The query is not valid UTF-8 at byte {error.start}") from None


def _limited(config: WarehouseConfig, request: Request) -> AsyncIterator[bytes]:
    """The decoded body; refused at once if its declared length is over the limit, cut off if it grows past it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.max_body_bytes:
        raise _too_large(config, int(declared))
    return _counted(config, request)


async def _counted(config: WarehouseConfig, request: Request) -> AsyncIterator[bytes]:
    seen = 0
    body = decoded_body(request.stream(), request.headers.get("content-encoding", ""))
    if request.query_params.get("decompress") == "1":
        body = unframed(body, config.max_body_bytes)
    async for chunk in body:
        seen += len(chunk)
        if seen > config.max_body_bytes:
            raise _too_large(config, seen)
        yield chunk


def _too_large(config: WarehouseConfig, size: int) -> WarehouseError:
    return WarehouseError.of(
        Code.TOO_MANY_BYTES,
        f"Request body of {size} bytes or more exceeds the warehouse limit of {config.max_body_bytes} bytes "
        "(LAKEHOUSE_WAREHOUSE_MAX_BODY_BYTES)",
    )


async def _read_up_to(body: AsyncIterator[bytes], size: int) -> bytes:
    """Read at least ``size`` bytes (or all there is), keeping the rest in ``body``."""
    head = b""
    while len(head) < size:
        try:
            head += await anext(body)
        except StopAsyncIteration:
            break
    return head


async def _read_all(body: AsyncIterator[bytes], limit: int, already: int) -> bytes:
    """The rest of a query's text; ``already`` bytes of it were read before."""
    text = b""
    async for chunk in body:
        text += chunk
        if already + len(text) > limit:
            raise WarehouseError.of(Code.SYNTAX_ERROR, f"Max query size exceeded: the query is over {limit} bytes")
    return text
