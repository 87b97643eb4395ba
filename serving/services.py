"""What the routes share, built once when the app starts and kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from serving.auth import TokenVerifier
from serving.config import ServingConfig
from serving.insights import Insights
from serving.limits import RateLimiter
from serving.metrics import ApiMetrics
from serving.scores import ScoreStore
from serving.warehouse import Warehouse


@dataclass(frozen=True)
class Services:
    config: ServingConfig
    warehouse: Warehouse
    scores: ScoreStore
    insights: Insights
    verifier: TokenVerifier
    limiter: RateLimiter
    metrics: ApiMetrics
