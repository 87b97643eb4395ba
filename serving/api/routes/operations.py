"""Liveness, readiness and metrics, for the platform's own probes and scrapers (no token, no personal data)."""

from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from serving.api.deps import AppServices
from serving.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process answers")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="The warehouse answers and the scores are loaded",
    responses={503: {"model": Readiness, "description": "Not ready: the body says what is missing."}},
)
async def readyz(services: AppServices, response: Response) -> Readiness:
    snapshot = services.scores.snapshot
    ready = Readiness(
        warehouse=await services.warehouse.is_serving(),
        scores_loaded=snapshot is not None,
        households=len(snapshot.households) if snapshot else 0,
        recommendations_version=snapshot.recommendations_version if snapshot else None,
        offers_version=snapshot.offers_version if snapshot else None,
    )
    if not (ready.warehouse and ready.scores_loaded):
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return ready


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(services: AppServices) -> Response:
    services.metrics.circuit_open.set(1 if services.insights.circuit_is_open else 0)
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
