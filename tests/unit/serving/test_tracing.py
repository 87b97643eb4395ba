"""Traces go over OTLP/HTTP to a collector when one is configured, one span per request; none otherwise."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from serving.app import create_app
from serving.config import ServingConfig
from tests.serving_tokens import AUDIENCE, ISSUER, jwks_of, new_key

KEY = new_key()


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP receiver that keeps the name of every span posted to ``/v1/traces``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receive)
        self.spans: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Receive(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        export = ExportTraceServiceRequest.FromString(body)
        for resource in export.resource_spans:
            service = next(a.value.string_value for a in resource.resource.attributes if a.key == "service.name")
            self.server.spans += [(service, span.name) for scope in resource.scope_spans for span in scope.spans]
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


def _config(otlp_endpoint: str) -> ServingConfig:
    return ServingConfig(
        warehouse_url="http://127.0.0.1:9", user="analyst", password="secret", issuer=ISSUER, audience=AUDIENCE,
        jwks=jwks_of(KEY), reload_interval_s=3600, otlp_endpoint=otlp_endpoint,
    )  # fmt: skip


def test_each_request_is_a_span_exported_to_the_collector_and_probes_are_left_out(collector: Collector) -> None:
    with TestClient(create_app(_config(collector.url))) as client:
        client.get("/v1/households/7/recommendations")
        client.get("/healthz")

    assert ("retail-insights-api", "GET /v1/households/{household_id}/recommendations") in collector.spans
    assert not [name for _, name in collector.spans if "healthz" in name]


def test_without_an_endpoint_in_the_config_nothing_is_traced_whatever_the_environment(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)

    with TestClient(create_app(_config(""))) as client:
        client.get("/v1/households/7/recommendations")

    assert collector.spans == []
