"""Who is asking: ClickHouse's three ways to send credentials, checked against the configured users."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request

from warehouse.config import WarehouseConfig, WarehouseUser
from warehouse.errors import Code, WarehouseError


def credentials(request: Request) -> tuple[str, str]:
    """``X-ClickHouse-User``/``-Key`` headers, HTTP basic auth, or ``user``/``password`` URL parameters."""
    headers, params = request.headers, request.query_params
    if "x-clickhouse-user" in headers:
        return headers["x-clickhouse-user"], headers.get("x-clickhouse-key", "")
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        return user, password
    return params.get("user", "default"), params.get("password", "")


def authenticate(config: WarehouseConfig, request: Request) -> WarehouseUser:
    name, password = credentials(request)
    user = config.user(name)
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        raise WarehouseError.of(
            Code.AUTHENTICATION_FAILED,
            f"{name}: Authentication failed: password is incorrect, or there is no user with such name",
        )
    return user
