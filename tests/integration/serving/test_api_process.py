"""``lakehouse api`` as a process over the sample's marts and the champions' scores, called over HTTP.

The warehouse is reached through a relay the tests can cut, as if its process
had stopped. Tokens come from ``lakehouse api token``, as a user gets them;
tokens with one defect are signed with the same local key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyarrow.compute as pc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from deltalake import DeltaTable

from governance.pii_scan import PiiScanner
from lakehouse.api_issuer import LOCAL_ISSUER, local_jwks
from lakehouse.api_process import ApiProcess
from lakehouse.dbt import DbtBuild
from lakehouse.ingest import lake_layout
from lakehouse.landing.retailers import RETAILERS
from lakehouse.model_scoring import score_model
from lakehouse.models import train_model
from lakehouse.pii_scan import planted_values, presidio, scan_logs
from lakehouse.processes import free_port
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess, analyst_client
from tests.ml_channels import register_full_offer_model
from tests.network_cut import NetworkCut, relay_to
from tests.serving_tokens import bad_tokens

pytestmark = pytest.mark.integration

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
RETAILER_IDS = [code for code, _, _ in RETAILERS]
ALL_SCOPES = ("recommendations:read", "offers:read", "insights:read")
RECOMMENDATIONS = "/v1/households/{}/recommendations"
OFFERS = "/v1/households/{}/offers"
CATEGORY_PERFORMANCE = "/v1/retailers/{}/category-performance"
PROMOTION_EFFECTIVENESS = "/v1/retailers/{}/promotion-effectiveness"
Request = tuple[str, dict[str, str], dict[str, int]]
"""A path, its headers and its query parameters."""


@pytest.fixture(scope="module")
def settings(
    tmp_path_factory: pytest.TempPathFactory, local_settings: Settings, marts: DbtBuild, warehouse: WarehouseProcess
) -> Settings:
    """A copy of the sample's silver as this module's lake, the session's warehouse with its marts, a new registry."""
    folder = tmp_path_factory.mktemp("serving")
    shutil.copytree(Path(local_settings.lake_uri) / "silver", folder / "lake" / "silver")
    return warehouse.settings.model_copy(
        update={"data_dir": folder, "lake_uri": str(folder / "lake"), "api_reload_interval_s": 0.5}
    )


@pytest.fixture(scope="module")
def champions(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Both models trained, promoted and scored into the warehouse's ``ml`` tables."""
    trained = train_model(settings, "recommend")
    assert trained.registration.verdict.promoted, trained.registration.verdict.reasons
    score_model(settings, "recommend")
    offer_version = register_full_offer_model(settings, tmp_path_factory.mktemp("offer-dataset"))
    score_model(settings, "offer_response")
    return {"recommend": trained.registration.version.version, "offer_response": offer_version}


@pytest.fixture(scope="module")
def relay(settings: Settings) -> Iterator[NetworkCut]:
    with relay_to(settings.warehouse_host, settings.clickhouse_port) as cut:
        yield cut


@pytest.fixture(scope="module")
def environment(settings: Settings, relay: NetworkCut) -> dict[str, str]:
    """The API's environment: these settings, with the warehouse reached through the relay."""
    return {**os.environ, **settings.model_copy(update={"clickhouse_url": relay.url}).as_environment()}


@pytest.fixture(scope="module")
def api(settings: Settings, champions: dict[str, int], relay: NetworkCut) -> Iterator[str]:
    """``lakehouse api --port P`` reaching the warehouse through the relay, ready once ``/readyz`` answers 200."""
    process = ApiProcess(settings.model_copy(update={"clickhouse_url": relay.url}), free_port())
    process.start(timeout_s=90, ready_path="/readyz")
    try:
        yield process.url
    finally:
        process.stop()


def _cli_token(environment: dict[str, str], retailer: str, *scopes: str) -> str:
    options = [argument for scope in scopes for argument in ("--scope", scope)]
    minted = subprocess.run(
        [LAKEHOUSE, "api", "token", "--retailer", retailer, *options],
        env=environment, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return minted.stdout.strip()


@pytest.fixture(scope="module")
def tokens(environment: dict[str, str], api: str) -> dict[str, str]:
    """Each retailer's token with every scope, minted by the command line."""
    return {retailer: _cli_token(environment, retailer, *ALL_SCOPES) for retailer in RETAILER_IDS}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def tenants(settings: Settings, marts: DbtBuild) -> dict[int, str]:
    """Each servable household's retailer, as the marts say."""
    rows = analyst_client(settings).query("SELECT household_id, retailer_id FROM exports.export_household_segments")
    return {int(household): retailer for household, retailer in rows.result_rows}


def test_each_retailer_reaches_its_own_households_and_every_other_answers_as_missing(
    api: str, tokens: dict[str, str], tenants: dict[int, str], champions: dict[str, int], settings: Settings
) -> None:
    assert len(set(tenants.values())) >= 2, "the sample must spread its households over several retailers"
    served, hidden = 0, 0
    with httpx.Client(base_url=api, timeout=10) as client:
        for household, owner in tenants.items():
            for retailer, token in tokens.items():
                answer = client.get(RECOMMENDATIONS.format(household), headers=_bearer(token))
                if retailer == owner:
                    assert answer.status_code == 200, answer.text
                    served += 1
                else:
                    assert answer.status_code == 404
                    assert answer.json() == {"detail": f"household {household} not found"}
                    hidden += 1
        missing = client.get(RECOMMENDATIONS.format(10**12), headers=_bearer(tokens["R01"]))

    assert (served, hidden) == (len(tenants), len(tenants) * (len(RETAILER_IDS) - 1))
    assert missing.status_code == 404 and missing.json() == {"detail": f"household {10**12} not found"}
    print(f"isolation: {served} households answered to their own retailer, {hidden} answered 404 to the others")


def test_a_households_recommendations_are_the_champions_in_rank_order(
    api: str, tokens: dict[str, str], tenants: dict[int, str], champions: dict[str, int], settings: Settings
) -> None:
    household, owner = next(iter(tenants.items()))
    stored = analyst_client(settings).query(
        "SELECT product_id FROM ml.household_recommendations WHERE household_id = {household:Int64} ORDER BY rank",
        parameters={"household": household},
    )

    answer = httpx.get(api + RECOMMENDATIONS.format(household), headers=_bearer(tokens[owner]), timeout=10).json()

    assert answer["model_version"] == champions["recommend"]
    assert [product["product_id"] for product in answer["recommendations"]] == [row[0] for row in stored.result_rows]
    assert [product["rank"] for product in answer["recommendations"]] == list(range(1, 11))
    assert any(product["department"] for product in answer["recommendations"])


def test_offers_come_likeliest_first_from_the_offer_champion(
    api: str, tokens: dict[str, str], tenants: dict[int, str], champions: dict[str, int]
) -> None:
    answers = [
        httpx.get(api + OFFERS.format(household), headers=_bearer(tokens[owner]), params={"limit": 50}, timeout=10)
        for household, owner in tenants.items()
    ]

    offered = [answer.json() for answer in answers if answer.status_code == 200]
    assert offered, [answer.json() for answer in answers]
    assert {answer.status_code for answer in answers} <= {200, 404}
    for body in offered:
        assert body["model_version"] == champions["offer_response"]
        propensities = [offer["propensity"] for offer in body["offers"]]
        assert propensities == sorted(propensities, reverse=True) and all(0 <= p <= 1 for p in propensities)


def test_households_without_marketing_consent_get_no_answer_from_any_retailer(
    api: str, tokens: dict[str, str], settings: Settings
) -> None:
    customers = DeltaTable(lake_layout(settings).silver("customers")).to_pyarrow_table(
        columns=["household_id", "marketing_consent"]
    )
    refused = customers.filter(pc.invert(customers["marketing_consent"]))["household_id"].to_pylist()
    assert refused, "the sample must hold households without marketing consent"

    codes = {
        httpx.get(api + path.format(household), headers=_bearer(token), timeout=10).status_code
        for household in refused
        for token in tokens.values()
        for path in (RECOMMENDATIONS, OFFERS)
    }

    assert codes == {404}


def _local_key(settings: Settings) -> rsa.RSAPrivateKey:
    assert settings.api_signing_key_file is not None
    key = serialization.load_pem_private_key(settings.api_signing_key_file.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def test_every_route_refuses_a_missing_or_defective_token_with_401_and_a_missing_scope_with_403(
    api: str, environment: dict[str, str], tenants: dict[int, str], settings: Settings, tokens: dict[str, str]
) -> None:
    household, owner = next(iter(tenants.items()))
    paths = [
        RECOMMENDATIONS.format(household), OFFERS.format(household),
        CATEGORY_PERFORMANCE.format(owner), PROMOTION_EFFECTIVENESS.format(owner),
    ]  # fmt: skip
    kid = local_jwks(settings)["keys"][0]["kid"]
    defective = bad_tokens(_local_key(settings), issuer=LOCAL_ISSUER, kid=kid)
    offers_only = _cli_token(environment, owner, "offers:read")

    with httpx.Client(base_url=api, timeout=10) as client:
        for path in paths:
            assert client.get(path).status_code == 401, path
            for defect, token in defective.items():
                answer = client.get(path, headers=_bearer(token))
                assert answer.status_code == 401, (path, defect, answer.text)
                assert answer.headers["www-authenticate"].startswith('Bearer realm="retail-insights-api"')
            scoped = client.get(path, headers=_bearer(offers_only))
            if path.endswith("/offers"):
                assert scoped.status_code in {200, 404} and "scope" not in scoped.text, (path, scoped.text)
            else:
                assert scoped.status_code == 403, (path, scoped.text)


def test_a_retailers_category_performance_is_its_own_stores_figures_paged_and_filtered(
    api: str, tokens: dict[str, str], settings: Settings
) -> None:
    retailer = "R01"
    analyst = analyst_client(settings)
    by_retailer = {"retailer": retailer}
    expected = analyst.query(
        "SELECT count(), round(sum(sales_value), 2) FROM category.category_performance_weekly "
        "WHERE retailer_id = {retailer:String}",
        parameters=by_retailer,
    ).result_rows[0]
    promoted = analyst.query(
        "SELECT count() FROM promotions.promotion_lift WHERE retailer_id = {retailer:String}", parameters=by_retailer
    ).result_rows[0][0]
    rows: list[dict[str, object]] = []
    page: int | None = 1
    with httpx.Client(base_url=api, headers=_bearer(tokens[retailer]), timeout=10) as client:
        while page is not None:
            answer = client.get(CATEGORY_PERFORMANCE.format(retailer), params={"page": page, "page_size": 200})
            assert answer.status_code == 200, answer.text
            rows += answer.json()["rows"]
            page = answer.json()["next_page"]
        department = str(rows[0]["department"])
        filtered = client.get(
            CATEGORY_PERFORMANCE.format(retailer), params={"department": department, "page_size": 500}
        )
        backslash = client.get(CATEGORY_PERFORMANCE.format(retailer), params={"department": "GROCERY\\"})
        others = client.get(CATEGORY_PERFORMANCE.format("R02"))
        promotions = client.get(PROMOTION_EFFECTIVENESS.format(retailer), params={"page_size": 500})

    assert len(rows) == expected[0]
    assert sum(float(str(row["sales_value"])) for row in rows) == pytest.approx(float(expected[1]), abs=0.05)
    assert filtered.status_code == 200 and {row["department"] for row in filtered.json()["rows"]} == {department}
    assert backslash.status_code == 200 and backslash.json()["rows"] == []
    assert others.status_code == 404 and others.json() == {"detail": "retailer R02 not found"}
    assert promotions.status_code == 200 and promotions.json()["next_page"] is None, promotions.text
    assert promoted > 0 and sum(row["promoted_product_stores"] for row in promotions.json()["rows"]) == promoted


def _metric(api: str, name: str, labels: str = "") -> float:
    text = httpx.get(f"{api}/metrics", timeout=10).text
    found = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_metrics_show_latency_per_route_and_the_served_model_versions(
    api: str, tokens: dict[str, str], tenants: dict[int, str], champions: dict[str, int]
) -> None:
    household, owner = next(iter(tenants.items()))
    httpx.get(api + RECOMMENDATIONS.format(household), headers=_bearer(tokens[owner]), timeout=10)

    route = '{route="/v1/households/{household_id}/recommendations"}'
    assert _metric(api, "api_request_seconds_count", route) >= 1
    assert _metric(api, "api_model_version", '{model="recommend"}') == champions["recommend"]
    assert _metric(api, "api_model_version", '{model="offer_response"}') == champions["offer_response"]
    assert _metric(api, "api_households_loaded") == len(tenants)
    ready = httpx.get(f"{api}/readyz", timeout=10).json()
    assert ready["scores_loaded"] and ready["warehouse"] and ready["households"] == len(tenants)


@dataclass
class SteadyLoad:
    """Requests one after another from a thread, each outcome kept: a status code, or the exception it raised."""

    api: str
    requests: list[Request]
    outcomes: list[tuple[str, int | str, float]] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> SteadyLoad:
        self.running.set()
        self._thread = threading.Thread(target=self._run, name="steady-load")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running.clear()
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "the load thread did not stop"

    def _run(self) -> None:
        with httpx.Client(base_url=self.api, timeout=10) as client:
            sent = 0
            while self.running.is_set():
                path, headers, params = self.requests[sent % len(self.requests)]
                sent += 1
                started = time.monotonic()
                try:
                    code: int | str = client.get(path, headers=headers, params=params).status_code
                except Exception as error:  # noqa: BLE001 - every outcome is kept for the test to judge
                    code = f"{type(error).__name__}: {error}"
                self.outcomes.append((path, code, time.monotonic() - started))

    def wait_for(self, more: int, timeout_s: float = 60) -> None:
        """Until ``more`` further requests have completed; the deadline names how many did."""
        target = len(self.outcomes) + more
        deadline = time.monotonic() + timeout_s
        while len(self.outcomes) < target:
            assert time.monotonic() < deadline, f"only {len(self.outcomes)} of {target} requests in {timeout_s} s"
            assert self._thread.is_alive(), "the load thread died"
            time.sleep(0.05)


def test_new_scores_are_swapped_in_under_load_without_a_failed_request(
    api: str, tokens: dict[str, str], tenants: dict[int, str], settings: Settings
) -> None:
    requests: list[Request] = [(RECOMMENDATIONS.format(h), _bearer(tokens[owner]), {}) for h, owner in tenants.items()]
    loads_before = _metric(api, "api_score_loads_total", '{outcome="loaded"}')

    with SteadyLoad(api, requests) as load:
        load.wait_for(20)
        score_model(settings, "recommend")
        deadline = time.monotonic() + 60
        while _metric(api, "api_score_loads_total", '{outcome="loaded"}') == loads_before:
            assert time.monotonic() < deadline, "the new scores were not loaded within 60 s"
            time.sleep(0.1)
        load.wait_for(20)

    failed = [outcome for outcome in load.outcomes if outcome[1] != 200]
    assert not failed, failed[:5]
    print(f"hot reload: {len(load.outcomes)} requests during the swap, 0 failed")


def test_with_the_warehouse_gone_scores_keep_serving_insights_answer_503_fast_and_recover(
    api: str, tokens: dict[str, str], tenants: dict[int, str], relay: NetworkCut
) -> None:
    household, owner = next(iter(tenants.items()))
    bearer = _bearer(tokens[owner])
    requests: list[Request] = []
    for week in range(1, 100):
        for size in (7, 11):  # distinct queries, so no answer comes from the cache
            requests += [
                (RECOMMENDATIONS.format(household), bearer, {}),
                (CATEGORY_PERFORMANCE.format(owner), bearer, {"from_week": week, "page_size": size}),
            ]

    with SteadyLoad(api, requests) as load:
        load.wait_for(10)
        relay.cut()
        cut_at = len(load.outcomes)
        load.wait_for(60)
        during = load.outcomes[cut_at + 2 :]
        relay.restore()
        deadline = time.monotonic() + 60
        while not any(code == 200 and path.startswith("/v1/retailers") for path, code, _ in load.outcomes[-4:]):
            assert time.monotonic() < deadline, "the insight routes did not recover within 60 s of the warehouse"
            load.wait_for(2)

    scores = [(code, elapsed) for path, code, elapsed in during if path.startswith("/v1/households")]
    insights = [(code, elapsed) for path, code, elapsed in during if path.startswith("/v1/retailers")]
    assert scores and {code for code, _ in scores} == {200}
    assert insights and {code for code, _ in insights} == {503}
    assert max(elapsed for _, elapsed in insights) < 1.0
    print(f"outage: {len(scores)} score requests answered 200, {len(insights)} insight requests 503 in < 1 s")


def test_schemathesis_finds_no_server_error_and_no_answer_outside_its_schema(
    api: str, tokens: dict[str, str], settings: Settings
) -> None:
    """Run in the module's data folder, where schemathesis keeps its cache (``.schemathesis/``)."""
    report = settings.data_dir / "schemathesis"
    run = subprocess.run(
        [
            SCHEMATHESIS, "run", f"{api}/openapi.json", "--header", f"Authorization: Bearer {tokens['R05']}",
            "--checks", "not_a_server_error,response_schema_conformance", "--max-examples", "40",
            "--seed", "8451", "--report", "junit", "--report-dir", str(report), "--no-color",
        ],
        capture_output=True, text=True, timeout=600, cwd=settings.data_dir,
    )  # fmt: skip

    summary = [line for line in run.stdout.splitlines() if re.search(r"\d+ (passed|failed)|test cases", line)]
    print("schemathesis:", *summary, sep="\n  ")
    assert run.returncode == 0, run.stdout[-4000:]


def test_the_apis_logs_hold_no_personal_data_by_the_pii_scan(
    api: str, tokens: dict[str, str], tenants: dict[int, str], settings: Settings, local_settings: Settings
) -> None:
    for household, owner in tenants.items():
        httpx.get(api + RECOMMENDATIONS.format(household), headers=_bearer(tokens[owner]), timeout=10)
    access_log = settings.data_dir / "logs" / "api-access.log"
    scanner = PiiScanner(planted_values(local_settings), presidio(settings))

    scanned = scan_logs(settings, scanner)

    lines = [json.loads(line) for line in access_log.read_text().splitlines()]
    assert scanned >= 2 and len(lines) >= len(tenants)
    assert {"request_id", "method", "route", "status", "ms"} == set(lines[-1])
    assert scanner.results == [], [finding.describe() for finding in scanner.results]
