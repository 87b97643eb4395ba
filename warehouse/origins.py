"""Browser requests: only allowed web origins may send queries, so a page elsewhere cannot use a user's access.

A page on any site can POST a ``text/plain`` body to 127.0.0.1:8123 without
a CORS preflight; the browser sends its ``Origin``. Requests from tools (curl,
drivers, dbt) carry none and are unaffected. ``OPTIONS`` preflights are
answered as ClickHouse answers them, with CORS headers only for allowed origins.
"""

from __future__ import annotations

from starlette.requests import Request

from warehouse.config import WarehouseConfig
from warehouse.errors import Code, WarehouseError

ALLOWED_METHODS = "POST, GET, OPTIONS"
ALLOWED_HEADERS = (
    "origin, x-requested-with, x-clickhouse-format, x-clickhouse-user, x-clickhouse-key, x-clickhouse-database, "
    "authorization, content-type, content-encoding, accept-encoding"
)
PREFLIGHT_MAX_AGE_S = "86400"


def refuse_foreign_origin(config: WarehouseConfig, request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is not None and origin not in config.allowed_origins:
        raise WarehouseError.of(
            Code.ACCESS_DENIED,
            f"Requests from web origin {origin} are not allowed; "
            "add it to LAKEHOUSE_WAREHOUSE_ALLOWED_ORIGINS to let its pages query the warehouse",
        )


def cors_headers(config: WarehouseConfig, request: Request, preflight: bool = False) -> dict[str, str]:
    """CORS headers for an allowed origin's request; none for tools or other origins (the browser then blocks)."""
    origin = request.headers.get("origin")
    if origin is None or origin not in config.allowed_origins:
        return {"Allow": ALLOWED_METHODS} if preflight else {}
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    if preflight:
        headers |= {
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_S,
            "Allow": ALLOWED_METHODS,
        }
    return headers
