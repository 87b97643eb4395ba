"""A light lexer over ClickHouse SQL: the words outside quotes and comments, with their offsets.

The engine parses and checks every statement. The server only needs a few
facts from the text: where an INSERT's data begins, whether a statement is a
SELECT, which output format it names, and whether it asks to write a
server-side file (``INTO OUTFILE``), which a server refuses as ClickHouse's
own HTTP interface does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_QUOTES = frozenset(b"'\"`")
_HEREDOC = re.compile(rb"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
"""ClickHouse's heredoc string: ``$tag$ ... $tag$`` (or ``$$ ... $$``), which dbt-clickhouse uses for comments."""


def quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


def top_level_words(sql: bytes) -> Iterator[Word]:
    """Words of ``sql`` in order, and each ``;`` that ends a statement, skipping literals, quoted names, comments."""
    position, length = 0, len(sql)
    while position < length:
        byte = sql[position]
        if byte in _QUOTES:
            position = _after_quoted(sql, position)
        elif byte == ord("$") and (heredoc := _HEREDOC.match(sql, position)) is not None:
            close = sql.find(heredoc.group(), heredoc.end())
            position = length if close < 0 else close + len(heredoc.group())
        elif sql.startswith(b"--", position) or byte == ord("#"):
            newline = sql.find(b"\n", position)
            position = length if newline < 0 else newline + 1
        elif sql.startswith(b"/*", position):
            close = sql.find(b"*/", position + 2)
            position = length if close < 0 else close + 2
        elif (word := _WORD.match(sql, position)) is not None:
            yield Word(word.group().decode("ascii").upper(), word.start(), word.end())
            position = word.end()
        elif byte == ord(";"):
            yield Word(";", position, position + 1)
            position += 1
        else:
            position += 1


def _after_quoted(sql: bytes, start: int) -> int:
    quote = sql[start]
    position = start + 1
    while position < len(sql):
        if sql[position] == ord("\\"):
            position += 2
        elif sql[position] == quote:
            if position + 1 < len(sql) and sql[position + 1] == quote:  # a doubled quote stands for itself
                position += 2
            else:
                return position + 1
        else:
            position += 1
    return len(sql)


@dataclass(frozen=True)
class InsertStatement:
    """``INSERT INTO t (cols) FORMAT X`` (or ``VALUES``) split into the statement chDB takes and the data."""

    statement: str
    format_name: str
    data_offset: int


def split_insert(sql: bytes) -> InsertStatement | None:
    """Where an INSERT's inline data starts: after ``FORMAT <name>`` or ``VALUES``; None for other statements."""
    words = top_level_words(sql)
    first = next(words, None)
    if first is None or first.text != "INSERT":
        return None
    for word in words:
        if word.text in ("SELECT", "WITH"):
            return None
        if word.text == "VALUES":
            return InsertStatement(sql[: word.start].decode().rstrip(), "Values", word.end)
        if word.text == "FORMAT":
            name = next(words, None)
            if name is None:
                return None
            data = re.compile(rb"[ \t]*(?:\r?\n)?").match(sql, name.end)
            offset = data.end() if data else name.end
            return InsertStatement(sql[: word.start].decode().rstrip(), sql[name.start : name.end].decode(), offset)
    return None


@dataclass(frozen=True)
class StatementFacts:
    """What the server needs from a statement's text, read in one pass."""

    first_word: str
    named_format: str | None
    writes_server_file: bool
    several_statements: bool

    @property
    def returns_rows(self) -> bool:
        """A SELECT (leading comments aside: dbt starts every query with one), the only kind chDB streams."""
        return self.first_word in ("SELECT", "WITH")


def read_statement(sql: str) -> StatementFacts:
    """The first word, the format a top-level ``FORMAT`` clause names, ``INTO OUTFILE``, and a second statement."""
    encoded = sql.encode()
    first, named, into_outfile, previous, ended, several = "", None, False, "", False, False
    words = top_level_words(encoded)
    for word in words:
        if word.text == ";":
            ended = True
            continue
        several = several or ended
        first = first or word.text
        if previous == "INTO" and word.text == "OUTFILE":
            into_outfile = True
        if word.text == "FORMAT" and (name := next(words, None)) is not None:
            named = encoded[name.start : name.end].decode()
            previous = ""
            continue
        previous = word.text
    return StatementFacts(first, named, into_outfile, several)


_USER_FUNCTIONS = frozenset({"CURRENTUSER", "USER", "CURRENT_USER", "SESSION_USER"})
_EMPTY_CALL = re.compile(rb"\s*\(\s*\)")


def with_user_functions(sql: str, user: str) -> str:
    """``currentUser()`` and its aliases answered with the platform user, not chDB's one internal user."""
    encoded = sql.encode()
    pieces, done = [], 0
    for word in top_level_words(encoded):
        call = _EMPTY_CALL.match(encoded, word.end) if word.text in _USER_FUNCTIONS else None
        if call is not None:
            pieces += [encoded[done : word.start], quote_literal(user).encode()]
            done = call.end()
    return sql if not pieces else (b"".join(pieces) + encoded[done:]).decode()
