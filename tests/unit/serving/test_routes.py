"""The routes' rules on a snapshot held in memory: auth, scope, tenancy, limits, errors and the request id.

The warehouse here is a closed port, so the score routes serve only the
snapshot the test puts in place and the insight routes meet a warehouse that is
down; the API against the real warehouse is tested in
tests/integration/serving.
"""

from __future__ import annotations

import dataclasses
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.config import ServingConfig
from serving.scores import HouseholdScores, Offer, Recommendation, ScoreSnapshot
from serving.services import Services
from tests.serving_tokens import AUDIENCE, ISSUER, claims, jwks_of, new_key, signed

KEY = new_key()
CLOSED_PORT_URL = "http://127.0.0.1:9"
SNAPSHOT = ScoreSnapshot(
    fingerprint={},
    recommendations_version=4,
    offers_version=2,
    households={
        101: HouseholdScores(
            "R01",
            tuple(Recommendation(rank, 900 + rank, "GROCERY", "SOUP", None, "National", "model") for rank in (1, 2, 3)),
            (Offer(8, 0.61), Offer(13, 0.2)),
        ),
        202: HouseholdScores("R02", (Recommendation(1, 777, None, None, None, None, "popularity"),), ()),
    },
)


def _token(retailer: str = "R01", scope: str = "recommendations:read offers:read insights:read") -> dict[str, str]:
    return {"Authorization": f"Bearer {signed(KEY, claims(retailer, scope))}"}


def _config(**changes: Any) -> ServingConfig:
    base = ServingConfig(
        warehouse_url=CLOSED_PORT_URL, user="analyst", password="secret", issuer=ISSUER, audience=AUDIENCE,
        jwks=jwks_of(KEY), reload_interval_s=3600, breaker_failures=2, breaker_reset_s=30,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(_config())) as started:
        services = started.app.state.services  # type: ignore[attr-defined]
        assert isinstance(services, Services) and services.scores.snapshot is None
        services.scores.snapshot = SNAPSHOT
        yield started


def test_a_household_of_the_tokens_retailer_gets_its_recommendations_best_first(client: TestClient) -> None:
    answer = client.get("/v1/households/101/recommendations", params={"limit": 2}, headers=_token())

    assert answer.status_code == 200
    body = answer.json()
    assert body["household_id"] == 101 and body["model_version"] == 4
    assert [product["product_id"] for product in body["recommendations"]] == [901, 902]
    assert body["recommendations"][0]["product_type"] is None


def test_another_retailers_household_and_a_missing_one_answer_the_same_404(client: TestClient) -> None:
    theirs = client.get("/v1/households/202/recommendations", headers=_token("R01"))
    missing = client.get("/v1/households/303/recommendations", headers=_token("R01"))

    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json() == {"detail": "household 202 not found"}
    assert missing.json() == {"detail": "household 303 not found"}


def test_a_household_with_no_offer_scores_says_so(client: TestClient) -> None:
    answer = client.get("/v1/households/202/offers", headers=_token("R02"))

    assert answer.status_code == 404 and answer.json() == {"detail": "household 202 has no offer scores"}


@pytest.mark.parametrize(
    "path",
    ["/v1/households/101/recommendations", "/v1/households/101/offers", "/v1/retailers/R01/category-performance"],
)
def test_no_token_is_401_with_a_bearer_challenge_and_a_wrong_scope_is_403(client: TestClient, path: str) -> None:
    anonymous = client.get(path)
    basic = client.get(path, headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    unscoped = client.get(path, headers=_token(scope="nothing:read"))

    assert (anonymous.status_code, basic.status_code, unscoped.status_code) == (401, 401, 403)
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="retail-insights-api"'
    assert unscoped.json()["detail"].startswith("the token lacks the scope ")


def test_a_retailer_past_its_rate_gets_429_with_retry_after_and_others_are_served() -> None:
    with TestClient(create_app(_config(rate_per_s=0.5, rate_burst=2))) as client:
        client.app.state.services.scores.snapshot = SNAPSHOT  # type: ignore[attr-defined]
        codes = [client.get("/v1/households/101/offers", headers=_token("R01")).status_code for _ in range(3)]
        refused = client.get("/v1/households/101/offers", headers=_token("R01"))
        other = client.get("/v1/households/202/recommendations", headers=_token("R02"))

    assert codes == [200, 200, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert other.status_code == 200


def test_insight_routes_answer_503_with_retry_after_within_a_second_when_the_warehouse_is_down(
    client: TestClient,
) -> None:
    for _ in range(4):
        started = time.monotonic()
        answer = client.get("/v1/retailers/R01/category-performance", headers=_token())
        assert time.monotonic() - started < 1.0
        assert answer.status_code == 503 and int(answer.headers["retry-after"]) >= 1
    metrics = client.get("/metrics").text
    assert "api_warehouse_circuit_open 1.0" in metrics


class _RejectsEveryQuery(http.server.BaseHTTPRequestHandler):
    """A warehouse that is up but refuses the query, as ClickHouse answers a syntax error or an unknown table."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(400)
        self.send_header("Content-Length", "38")
        self.end_headers()
        self.wfile.write(b"Code: 62. DB::Exception: Syntax error\n")

    def log_message(self, *_: object) -> None:
        """Quiet: the test reads the API's answers, not the fake warehouse's access lines."""


def test_a_query_the_warehouse_rejects_is_a_500_for_the_platform_not_a_503_to_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RejectsEveryQuery)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with TestClient(create_app(_config(warehouse_url=url)), raise_server_exceptions=False) as rejecting:
            answers = [
                rejecting.get("/v1/retailers/R01/category-performance", headers={**_token(), "x-request-id": f"r{n}"})
                for n in range(3)
            ]
            metrics = rejecting.get("/metrics").text
    finally:
        server.shutdown()

    assert [answer.status_code for answer in answers] == [500, 500, 500]
    assert answers[0].json() == {"detail": "the insight query failed on the server"}
    assert "retry-after" not in answers[0].headers
    assert "api_warehouse_circuit_open 0.0" in metrics
    rejected = [record.getMessage() for record in caplog.records if "insight query rejected" in record.getMessage()]
    assert [line.split(":")[0] for line in rejected] == ["request r0", "request r1", "request r2"]


def test_the_score_routes_wait_for_the_first_load_with_503_and_retry_after() -> None:
    with TestClient(create_app(_config())) as client:
        answer = client.get("/v1/households/101/recommendations", headers=_token())
        ready = client.get("/readyz")

    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert ready.status_code == 503 and ready.json()["scores_loaded"] is False


def test_another_retailers_insights_are_404_and_bad_ranges_422(client: TestClient) -> None:
    theirs = client.get("/v1/retailers/R02/promotion-effectiveness", headers=_token("R01"))
    backwards = client.get("/v1/retailers/R01/category-performance?from_week=9&to_week=3", headers=_token())
    too_big = client.get("/v1/retailers/R01/category-performance?page_size=100000", headers=_token())

    assert theirs.status_code == 404 and theirs.json() == {"detail": "retailer R02 not found"}
    assert backwards.status_code == 422 and backwards.json()["detail"] == "from_week 9 is after to_week 3"
    assert too_big.status_code == 422
    assert too_big.json() == {"detail": "query.page_size: Input should be less than or equal to 500"}


def test_a_plain_request_id_is_kept_and_a_forged_one_replaced(client: TestClient) -> None:
    kept = client.get("/healthz", headers={"x-request-id": "abc-123"})
    forged = client.get("/healthz", headers={"x-request-id": "abc\r\nstatus=200"})

    assert kept.headers["x-request-id"] == "abc-123"
    assert forged.headers["x-request-id"] != "abc\r\nstatus=200" and len(forged.headers["x-request-id"]) == 32


def test_bodies_and_long_urls_are_refused_unread(client: TestClient) -> None:
    body = client.request("GET", "/healthz", content=b"x" * 4096, headers={"content-type": "text/plain"})
    long_url = client.get("/healthz?pad=" + "a" * 4096)

    assert body.status_code == 413 and long_url.status_code == 414


def test_cors_is_off_unless_origins_are_configured(client: TestClient) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    assert "access-control-allow-origin" not in client.options("/healthz", headers=preflight).headers

    with TestClient(create_app(_config(cors_origins=("https://app.example",)))) as allowed:
        answer = allowed.get("/healthz", headers={"Origin": "https://app.example"})
    assert answer.headers["access-control-allow-origin"] == "https://app.example"


def test_every_route_is_documented_with_its_errors_and_security() -> None:
    schema = create_app(_config()).openapi()

    paths = schema["paths"]
    assert set(paths) == {
        "/v1/households/{household_id}/recommendations", "/v1/households/{household_id}/offers",
        "/v1/retailers/{retailer_id}/category-performance", "/v1/retailers/{retailer_id}/promotion-effectiveness",
        "/healthz", "/readyz", "/metrics",
    }  # fmt: skip
    for path, operations in paths.items():
        if path.startswith("/v1/"):
            get = operations["get"]
            assert get["security"] == [{"retailer token": []}]
            assert {"200", "401", "403", "404", "422", "429", "503"} <= set(get["responses"]), path
            assert get["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            assert all(parameter.get("description") for parameter in get["parameters"]), path
