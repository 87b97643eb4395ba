"""ClickHouse's error contract: a ``Code: N. DB::Exception: ...`` body, the code in a header, and a status per code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

ENGINE_USER = "default"
ENGINE_ERROR = re.compile(r"Code: (\d+)\. DB::\w*Exception: ")

# The HTTP status ClickHouse's HTTP handler gives each error code; any other code is a 500.
_STATUS_BY_CODE = {
    **dict.fromkeys((192, 193, 194, 516), 401),  # unknown user, wrong or missing password, authentication failed
    **dict.fromkeys((164, 497), 403),  # readonly, access denied
    **dict.fromkeys((6, 26, 27, 36, 38, 41, 62, 72, 117, 456, 457), 400),  # cannot parse, syntax, bad arguments
    **dict.fromkeys((46, 47, 50, 56, 60, 63, 73, 81, 115, 372), 404),  # unknown function, table, format, ...
    48: 501,  # not implemented
    159: 408,  # timeout exceeded
    307: 413,  # too many bytes
}


class Code(IntEnum):
    """The ClickHouse error codes this server raises itself, named as ClickHouse names them."""

    CANNOT_PARSE_NUMBER = 27
    NOT_IMPLEMENTED = 48
    SYNTAX_ERROR = 62
    UNKNOWN_SETTING = 115
    READONLY = 164
    REQUIRED_PASSWORD = 194
    TOO_MANY_SIMULTANEOUS_QUERIES = 202
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING = 216
    QUERY_WAS_CANCELLED = 394
    ACCESS_DENIED = 497
    CANNOT_DECOMPRESS = 271
    TOO_MANY_BYTES = 307
    INTO_OUTFILE_NOT_ALLOWED = 358
    SESSION_NOT_FOUND = 372
    SESSION_IS_LOCKED = 373
    AUTHENTICATION_FAILED = 516
    UNKNOWN_EXCEPTION = 1002


class WarehouseError(Exception):
    """An error as ClickHouse reports it; ``text`` is the exact response body."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text.rstrip("\n") + "\n"

    @classmethod
    def of(cls, code: Code, message: str) -> WarehouseError:
        return cls(code, f"Code: {code.value}. DB::Exception: {message}. ({code.name})")

    @classmethod
    def from_engine(cls, error: BaseException) -> WarehouseError:
        """Keep the engine's own ``Code: N. DB::Exception`` text, without the Python wrapper's prefix."""
        message = str(error)
        found = ENGINE_ERROR.search(message)
        if found is None:
            return cls.of(Code.UNKNOWN_EXCEPTION, message or type(error).__name__)
        return cls(int(found.group(1)), message[found.start() :])

    def naming(self, user: str) -> WarehouseError:
        """The engine's error as it reads to ``user``: chDB names its one internal user, ``default``."""
        text = self.text.replace(f"DB::Exception: {ENGINE_USER}: ", f"DB::Exception: {user}: ", 1)
        return self if text == self.text else WarehouseError(self.code, text)

    @property
    def http_status(self) -> int:
        return _STATUS_BY_CODE.get(self.code, 500)


@contextmanager
def engine_errors() -> Iterator[None]:
    """Raise whatever chDB raises (RuntimeError, ChdbError) as the ClickHouse error its text carries."""
    try:
        yield
    except WarehouseError:
        raise
    except Exception as error:  # noqa: BLE001 - chDB's exception types vary; its message carries the code
        raise WarehouseError.from_engine(error) from None
