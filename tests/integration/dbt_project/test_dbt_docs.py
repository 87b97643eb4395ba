"""`lakehouse docs`: every model and column described, PII marked, and the site in Chromium lists the marts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.dbt import DbtBuild, dbt_target_path
from lakehouse.child_server import start_child, stop_child
from lakehouse.processes import answers, free_port
from lakehouse.warehouse import WarehouseProcess
from tests.browser import chromium
from tests.marts import MARTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def docs_site(marts: DbtBuild, warehouse: WarehouseProcess) -> Iterator[str]:
    """``lakehouse docs`` as an analyst runs it: generate, then serve on a loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).with_name("lakehouse")), "docs", "--port", str(port)]
    process = start_child(
        "lakehouse docs",
        command,
        ready=lambda: answers(f"{url}/catalog.json"),
        log_path=warehouse.settings.data_dir / "logs" / "lakehouse-docs.log",
        timeout_s=120,
        environment={**os.environ, **warehouse.settings.as_environment()},
    )
    yield url
    stop_child(process, grace_s=10)


def _documents(warehouse: WarehouseProcess) -> tuple[dict[str, Any], dict[str, Any]]:
    target = dbt_target_path(warehouse.settings)
    return json.loads((target / "manifest.json").read_text()), json.loads((target / "catalog.json").read_text())


def test_every_model_source_and_column_is_described(docs_site: str, warehouse: WarehouseProcess) -> None:
    manifest, catalog = _documents(warehouse)
    undescribed = []
    for unique_id, entry in {**catalog["nodes"], **catalog["sources"]}.items():
        documented = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
        if not documented["description"].strip():
            undescribed.append(unique_id)
        for column in entry["columns"]:
            if column.startswith("_") and column != "_ingested_at":
                continue  # ingest bookkeeping the sources do not document
            if not documented["columns"].get(column, {}).get("description", "").strip():
                undescribed.append(f"{unique_id}.{column}")
    assert len(catalog["nodes"]) >= 24
    assert undescribed == []


def test_household_keys_are_marked_pseudonymous_from_the_policy(docs_site: str, warehouse: WarehouseProcess) -> None:
    manifest, _ = _documents(warehouse)
    marked = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["columns"].get("household_id", {}).get("meta", {}).get("pii", {}).get("pseudonymous_key") is True
    }
    assert {"fct_sales_lines", "household_rfm", "campaign_participation", "stg_silver__transactions"} <= marked


def test_the_api_and_the_retailer_exports_are_declared_as_exposures(
    docs_site: str, warehouse: WarehouseProcess
) -> None:
    manifest, _ = _documents(warehouse)
    exposures = {exposure["name"]: exposure["depends_on"]["nodes"] for exposure in manifest["exposures"].values()}
    assert set(exposures) == {"insights_api", "retailer_insight_exports"}
    assert "model.consumer_insight.promotion_lift" in exposures["insights_api"]


def test_the_docs_in_chromium_list_every_mart_by_group(docs_site: str, tmp_path: Path) -> None:
    screenshot = tmp_path / "dbt-docs-marts.png"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{docs_site}/#!/overview")
        tree = page.locator("model-tree")
        tree.locator("span.switch-label", has_text="Group").click()
        groups = tree.locator("div.menu[ng-show=\"nav_selected == 'group'\"]")
        folders = groups.locator('a[ng-click="onFolderClick(item)"]')
        for folder in range(folders.count()):
            folders.nth(folder).click()
        models = groups.locator('a[data-nav-unique-id^="model."]')
        models.filter(has_text="promotion_lift").wait_for(state="visible")
        listed = {models.nth(i).get_attribute("title") for i in range(models.count()) if models.nth(i).is_visible()}
        page.screenshot(path=screenshot)
    assert listed == {name for names in MARTS.values() for name in names}
    assert screenshot.stat().st_size > 20_000
