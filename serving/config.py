"""What the API needs to know, handed in whole by whoever starts it; the API reads no environment of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WarehouseTables:
    """The warehouse tables the API reads, each ``database.table``."""

    recommendations: str = "ml.household_recommendations"
    offers: str = "ml.offer_propensity"
    tenants: str = "exports.export_household_segments"
    """One row per retailer and consenting household: who may be served, and to which retailer it belongs."""
    products: str = "category.dim_products"
    category_performance: str = "category.category_performance_weekly"
    promotion_lift: str = "promotions.promotion_lift"


@dataclass(frozen=True)
class ServingConfig:
    """The warehouse login (read-only), the token issuer, and the API's limits."""

    warehouse_url: str
    user: str
    password: str = field(repr=False)
    issuer: str
    audience: str
    jwks: dict[str, Any] | None = None
    """The issuer's public keys, when they are known up front (the local issuer)."""
    jwks_url: str = ""
    """Where a real identity provider publishes its keys; fetched and cached when ``jwks`` is None."""
    tables: WarehouseTables = WarehouseTables()
    reload_interval_s: float = 30.0
    warehouse_timeout_s: float = 5.0
    warehouse_concurrency: int = 4
    """Queries the API sends at once, at most (the read-only login's cap); the rest wait, up to the query timeout."""
    insight_cache_s: float = 60.0
    insight_cache_entries: int = 4096
    breaker_failures: int = 3
    """Warehouse failures in a row that open the insight routes' circuit."""
    breaker_reset_s: float = 10.0
    """How long an open circuit answers 503 before one request tries the warehouse again."""
    rate_per_s: float = 200.0
    """Requests per second each retailer may make, on average."""
    rate_burst: int = 400
    cors_origins: tuple[str, ...] = ()
    """Web origins allowed to call the API from a browser; none by default (CORS off)."""
    otlp_endpoint: str = ""
    """An OpenTelemetry collector's OTLP/HTTP base URL; empty: no tracing."""
