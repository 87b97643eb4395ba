"""The serving API as an ASGI app: ``create_app(config)``, served by uvicorn from ``lakehouse api``.

A background task loads the scores from the warehouse once it starts, then looks
every ``reload_interval_s`` for new ones (a promoted model's scores replace the
table) and swaps them in whole. A warehouse that is down at start or later
leaves the API up: the score routes answer 503 until the first load and from
memory after it; the insight routes answer 503 while it is down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider

from serving.access import AccessLog
from serving.api.routes import households, insights, operations
from serving.auth import TokenVerifier
from serving.breaker import CircuitBreaker
from serving.config import ServingConfig
from serving.insights import Insights
from serving.limits import RateLimiter
from serving.metrics import ApiMetrics, api_metrics
from serving.scores import ScoreStore
from serving.services import Services
from serving.warehouse import Warehouse

logger = logging.getLogger(__name__)

DESCRIPTION = """Recommendations, offer propensities and insights for retailers' apps.

Every route but the probes needs a bearer token (a JWT, RS256) naming one
retailer and the scopes it may use: `recommendations:read`, `offers:read`,
`insights:read`. A token reaches only its retailer's households and stores;
anything else answers 404, as if it did not exist. Household keys are the
platform's pseudonymous ones.
"""


async def _load_scores(services: Services) -> None:
    try:
        swapped = await services.scores.refresh()
    except Exception as error:  # noqa: BLE001 - the API keeps serving what it has; the next round tries again
        services.metrics.score_loads.labels("failed").inc()
        logger.warning("scores not reloaded: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
        return
    snapshot = services.scores.snapshot
    if swapped and snapshot is not None:
        services.metrics.score_loads.labels("loaded").inc()
        services.metrics.households_loaded.set(len(snapshot.households))
        for model, version in (
            ("recommend", snapshot.recommendations_version),
            ("offer_response", snapshot.offers_version),
        ):
            services.metrics.model_version.labels(model).set(version or 0)


async def _load_then_reload(services: Services) -> None:
    """The first load, then a look for new scores every ``reload_interval_s``; the API answers meanwhile."""
    while True:
        await _load_scores(services)
        await asyncio.sleep(services.config.reload_interval_s)


def _services(config: ServingConfig, metrics: ApiMetrics) -> Services:
    warehouse = Warehouse(
        config.warehouse_url, config.user, config.password, config.warehouse_timeout_s, config.warehouse_concurrency
    )
    breaker = CircuitBreaker(config.breaker_failures, config.breaker_reset_s)
    return Services(
        config=config,
        warehouse=warehouse,
        scores=ScoreStore(warehouse, config.tables),
        insights=Insights(warehouse, config.tables, breaker, config.insight_cache_s, config.insight_cache_entries),
        verifier=TokenVerifier(config.issuer, config.audience, config.jwks, config.jwks_url),
        limiter=RateLimiter(config.rate_per_s, config.rate_burst),
        metrics=metrics,
    )


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    """A parameter out of its rule: one line naming it and the rule, shaped like every other error (``detail``)."""
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return JSONResponse({"detail": f"{where}: {first['msg']}"}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def create_app(config: ServingConfig) -> FastAPI:
    metrics = api_metrics()
    tracing: list[TracerProvider] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = _services(config, metrics)
        app.state.services = services
        reloading = asyncio.create_task(_load_then_reload(services))
        try:
            yield
        finally:
            reloading.cancel()
            with suppress(asyncio.CancelledError):
                await reloading
            await services.warehouse.aclose()
            for provider in tracing:
                provider.shutdown()

    app = FastAPI(
        title="Retail insights API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "households", "description": "Scores of one household, from the champion models."},
            {"name": "insights", "description": "A retailer's figures, from the marts."},
            {"name": "operations", "description": "Probes and metrics."},
        ],
    )
    for router in (households.router, insights.router, operations.router):
        app.include_router(router)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET"],
            allow_headers=["Authorization", "X-Request-Id"],
            expose_headers=["Retry-After", "X-Request-Id"],
        )
    app.add_middleware(AccessLog, metrics=metrics)
    if config.otlp_endpoint:
        from serving.tracing import trace_requests

        tracing.append(trace_requests(app, config.otlp_endpoint))
    return app
