"""ClickHouse's error contract: a ``Code: N. DB::Exception: ...`` body, the code in a header, and a status per code."""

from __future__ import annotations

import re

ENGINE_ERROR = re.compile(r"Code: (\d+)\. DB::Exception: ")

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

SYNTAX_ERROR = 62
UNKNOWN_SETTING = 115
UNKNOWN_DATABASE = 81
NOT_IMPLEMENTED = 48
READONLY = 164
QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING = 216
TOO_MANY_BYTES = 307
CANNOT_DECOMPRESS = 271
INTO_OUTFILE_NOT_ALLOWED = 358
SESSION_NOT_FOUND = 372
SESSION_IS_LOCKED = 373
AUTHENTICATION_FAILED = 516
UNKNOWN_EXCEPTION = 1002

_NAMES = {
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    UNKNOWN_DATABASE: "UNKNOWN_DATABASE",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    READONLY: "READONLY",
    QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING: "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING",
    TOO_MANY_BYTES: "TOO_MANY_BYTES",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    INTO_OUTFILE_NOT_ALLOWED: "INTO_OUTFILE_NOT_ALLOWED",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    UNKNOWN_EXCEPTION: "UNKNOWN_EXCEPTION",
}


class WarehouseError(Exception):
    """An error as ClickHouse reports it; ``text`` is the exact response body."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text.rstrip("\n") + "\n"

    @classmethod
    def of(cls, code: int, message: str) -> WarehouseError:
        return cls(code, f"Code: {code}. DB::Exception: {message}. ({_NAMES[code]})")

    @classmethod
    def from_engine(cls, error: BaseException) -> WarehouseError:
        """Keep the engine's own ``Code: N. DB::Exception`` text, without the Python wrapper's prefix."""
        message = str(error)
        found = ENGINE_ERROR.search(message)
        if found is None:
            return cls.of(UNKNOWN_EXCEPTION, message or type(error).__name__)
        return cls(int(found.group(1)), message[found.start() :])

    @property
    def http_status(self) -> int:
        return _STATUS_BY_CODE.get(self.code, 500)
