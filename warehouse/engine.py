"""chDB behind the server: one data path, a fresh connection per query, a kept one per session.

A chDB connection carries its own session context (settings, current
database, temporary tables) and runs its queries concurrently with other
connections on the same path, so each query gets a fresh connection and
cannot see another's settings; a ClickHouse ``session_id`` keeps its own
connection until it times out. One connection at a time per session.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from chdb.state.sqlitelike import Connection

from warehouse.errors import Code, WarehouseError, engine_errors
from warehouse.statements import quote_identifier, quote_literal

SERVER_DEFAULTS = {"async_insert": "0", "allow_introspection_functions": "0", "implicit_select": "0"}
"""Settings whose chDB default differs from a ClickHouse server's; clients send the server's value and expect
it to be the current one (a read-only user may "change" a setting only to the value it already has)."""

_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class QueryContext:
    """What applies to one query beyond its text: the database and the settings sent with it."""

    database: str | None = None
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SavedContext:
    """A session's values of what a query changes, to put back after it."""

    database: str
    settings: dict[str, str]


def run(connection: Connection, sql: str) -> None:
    """Run a statement whose answer is not needed, raising the engine's error as ClickHouse's."""
    with engine_errors():
        connection.query(sql, "Null")


def save_context(connection: Connection, context: QueryContext) -> SavedContext | None:
    """A session's current values of what the query will change, to put back after it (None if it changes nothing)."""
    if not context.settings and not context.database:
        return None
    database = _rows(connection, "SELECT currentDatabase()")[0][0]
    return SavedContext(database, _setting_values(connection, list(context.settings)))


def apply_context(connection: Connection, context: QueryContext) -> None:
    """Set the query's database and settings on its connection; the engine refuses what the user may not change."""
    for name in context.settings:
        if not _SETTING_NAME.match(name):
            raise WarehouseError.of(Code.UNKNOWN_SETTING, f"Unknown setting '{name}'")
    if context.database:
        run(connection, f"USE {quote_identifier(context.database)}")
    for name, value in context.settings.items():
        run(connection, f"SET {name} = {quote_literal(value)}")


def restore_context(connection: Connection, saved: SavedContext) -> None:
    """Undo a query's settings and database, so a session keeps only what its own SET and USE changed."""
    run(connection, f"USE {quote_identifier(saved.database)}")
    current = _setting_values(connection, list(saved.settings))
    for name, value in saved.settings.items():
        if current.get(name) != value:
            run(connection, f"SET {name} = {quote_literal(value)}")


def _setting_values(connection: Connection, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    listed = "[" + ", ".join(quote_literal(name) for name in names) + "]"
    return {
        name: value
        for name, value in _rows(connection, f"SELECT name, value FROM system.settings WHERE name IN {listed}")
    }


def _rows(connection: Connection, sql: str) -> list[list[str]]:
    answer = connection.query(sql, "TabSeparatedRaw")
    return [line.split("\t") for line in answer.bytes().decode().splitlines()]


@dataclass
class _Session:
    connection: Connection
    user: str
    timeout_s: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    expires_at: float = 0.0


class Engine:
    """Owns the chDB data path for the life of the server."""

    def __init__(self, data_path: Path, query_thread_nice: int, config_file: Path) -> None:
        data_path.mkdir(parents=True, exist_ok=True)
        self._connection_string = f"file:{data_path}?config-file={config_file}&os_thread_priority={query_thread_nice}"
        self._anchor = Connection(self._connection_string)  # keeps the embedded server up between queries
        self.timezone = _rows(self._anchor, "SELECT timezone()")[0][0]
        self._sessions: dict[str, _Session] = {}
        self._sessions_lock = threading.Lock()

    def connect(self, readonly: int, settings: dict[str, str]) -> Connection:
        """A fresh connection with ``settings`` and then ClickHouse's ``readonly`` level (0 may write).

        The settings are a server's defaults where chDB's differ, the query's
        tag and the user's limits; set before ``readonly``, the user cannot
        change them afterwards except to the value they already have.
        """
        connection = Connection(self._connection_string)
        try:
            apply_context(connection, QueryContext(settings={**SERVER_DEFAULTS, **settings}))
            if readonly:
                run(connection, f"SET readonly = {readonly}")
        except WarehouseError:
            connection.close()
            raise
        return connection

    def kill(self, tag: str) -> None:
        """Cancel whatever query carries ``tag`` (see :func:`warehouse.engine_config.query_tag`), if it still runs."""
        run(self._anchor, f"KILL QUERY WHERE Settings['log_comment'] = {quote_literal(tag)} ASYNC")

    def run_admin(self, sql: str) -> None:
        run(self._anchor, sql)

    @contextmanager
    def connection_for(
        self,
        session_id: str | None,
        user: str,
        readonly: int,
        settings: dict[str, str],
        timeout_s: float,
        must_exist: bool,
    ) -> Iterator[tuple[Connection, bool]]:
        """A connection for one request, and whether it is a session's (so per-query settings must be undone).

        ``readonly`` is ClickHouse's level, set by the engine on the connection
        before any query: 1 reads only (no settings, no table functions),
        2 reads and may change settings, 0 may write.
        """
        if not session_id:
            connection = self.connect(readonly, settings)
            try:
                yield connection, False
            finally:
                connection.close()
            return
        session = self._lease(session_id, user, readonly, settings, timeout_s, must_exist)
        try:
            yield session.connection, True
        finally:
            session.expires_at = time.monotonic() + session.timeout_s
            session.lock.release()

    def _lease(
        self, session_id: str, user: str, readonly: int, settings: dict[str, str], timeout_s: float, must_exist: bool
    ) -> _Session:
        with self._sessions_lock:
            self._close_expired()
            session = self._sessions.get(session_id)
            if session is not None and session.user != user:  # a session belongs to the user who opened it
                raise WarehouseError.of(Code.SESSION_NOT_FOUND, f"Session {session_id} not found")
            if session is None:
                if must_exist:
                    raise WarehouseError.of(Code.SESSION_NOT_FOUND, f"Session {session_id} not found")
                session = _Session(self.connect(readonly, settings), user, timeout_s)
                self._sessions[session_id] = session
            session.timeout_s = timeout_s
            if not session.lock.acquire(blocking=False):
                raise WarehouseError.of(Code.SESSION_IS_LOCKED, f"Session {session_id} is locked by another client")
            return session

    def close_expired_sessions(self) -> None:
        with self._sessions_lock:
            self._close_expired()

    def _close_expired(self) -> None:
        now = time.monotonic()
        for session_id, session in list(self._sessions.items()):
            if session.expires_at and session.expires_at < now and session.lock.acquire(blocking=False):
                del self._sessions[session_id]
                session.connection.close()

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions.values():
                session.connection.close()
            self._sessions.clear()
        self._anchor.close()
