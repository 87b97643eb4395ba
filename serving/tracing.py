"""OpenTelemetry traces of every request, exported over OTLP/HTTP when an endpoint is configured; off otherwise."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SERVICE_NAME = "retail-insights-api"
UNTRACED = "healthz,readyz,metrics"
"""Probes and scrapes: frequent, and nothing to learn from their spans."""


def trace_requests(app: FastAPI, otlp_endpoint: str) -> TracerProvider:
    """Send a span per request to ``otlp_endpoint`` (the collector's base URL; spans go to ``/v1/traces``)."""
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    exporter = OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=UNTRACED)
    return provider
