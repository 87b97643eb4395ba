"""Who is asking: ClickHouse's three ways to send credentials, checked against the configured users."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request

from warehouse.config import WarehouseConfig, WarehouseUser
from warehouse.errors import Code, WarehouseError


def credentials(request: Request) -> tuple[str, str] | None:
    """``X-ClickHouse-User``/``-Key`` headers, HTTP basic auth, or ``user``/``password`` parameters; None if none."""
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
    if "user" in params or "password" in params:
        return params.get("user", "default"), params.get("password", "")
    return None


def authenticate(config: WarehouseConfig, request: Request) -> WarehouseUser:
    """The user the request's credentials name; without credentials, the configured anonymous user or 401."""
    sent = credentials(request)
    if sent is None:
        anonymous = config.user(config.anonymous_user) if config.anonymous_user else None
        if anonymous is None:
            raise WarehouseError.of(
                Code.REQUIRED_PASSWORD,
                "default: Authentication failed: password is incorrect, or there is no user with such name. "
                "Send credentials (X-ClickHouse-User/X-ClickHouse-Key, HTTP basic auth, or user/password parameters)",
            )
        return anonymous
    name, password = sent
    user = config.user(name)
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        raise WarehouseError.of(
            Code.AUTHENTICATION_FAILED,
            f"{name}: Authentication failed: password is incorrect, or there is no user with such name",
        )
    return user
