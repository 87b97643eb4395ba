"""The API's Prometheus metrics, in a registry of the app's own (two apps in one process never collide)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass(frozen=True)
class ApiMetrics:
    registry: CollectorRegistry
    request_seconds: Histogram
    answers: Counter
    model_version: Gauge
    households_loaded: Gauge
    score_loads: Counter
    circuit_open: Gauge


def api_metrics() -> ApiMetrics:
    registry = CollectorRegistry()
    return ApiMetrics(
        registry=registry,
        request_seconds=Histogram(
            "api_request_seconds",
            "Time to answer, per route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        answers=Counter("api_answers", "Answers per route and status code.", ["route", "status"], registry=registry),
        model_version=Gauge(
            "api_model_version", "The registered model version whose scores are served.", ["model"], registry=registry
        ),
        households_loaded=Gauge("api_households_loaded", "Households whose scores are in memory.", registry=registry),
        score_loads=Counter("api_score_loads", "Score snapshots loaded, by outcome.", ["outcome"], registry=registry),
        circuit_open=Gauge(
            "api_warehouse_circuit_open",
            "1 while the insight routes' circuit to the warehouse is open.",
            registry=registry,
        ),
    )
