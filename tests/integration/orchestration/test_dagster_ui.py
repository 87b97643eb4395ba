"""``lakehouse up``: the Dagster UI in headless Chromium shows the materialised graph, and Ctrl-C stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lakehouse.processes import answers, free_port
from lakehouse.settings import Settings
from orchestration.materialise import PlatformRun
from tests.browser import chromium

pytestmark = pytest.mark.e2e

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))
LINEAGE = "/assets/category/category_performance_weekly?view=lineage&lineageScope=upstream&lineageDepth=6"


@dataclass
class Up:
    process: subprocess.Popen[str]
    ui: str
    warehouse: str


@pytest.fixture(scope="module")
def lakehouse_up(
    platform_run: PlatformRun, platform_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Up]:
    """``lakehouse up`` on the materialised platform, with a warehouse of its own so that Ctrl-C stops it too."""
    ui_port, warehouse_port = free_port(), free_port()
    environment = {
        **os.environ,
        **platform_settings.as_environment(),
        "LAKEHOUSE_CLICKHOUSE_URL": f"http://127.0.0.1:{warehouse_port}",
        "LAKEHOUSE_WAREHOUSE_DATA_PATH": str(tmp_path_factory.mktemp("ui-warehouse")),
    }
    process = subprocess.Popen(
        [LAKEHOUSE, "up", "--port", str(ui_port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    up = Up(process, f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{warehouse_port}")
    deadline = time.monotonic() + 240
    while not answers(f"{up.ui}/server_info") and process.poll() is None and time.monotonic() < deadline:
        time.sleep(1)
    yield up
    if process.poll() is None:
        process.kill()
        process.wait()


def test_the_asset_graph_shows_the_lineage_from_landing_through_silver_into_a_mart(
    lakehouse_up: Up, platform_settings: Settings
) -> None:
    screenshot = platform_settings.data_dir / "dagster-lineage.png"

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(f"{lakehouse_up.ui}{LINEAGE}", wait_until="networkidle", timeout=180_000)
        community = page.get_by_role("button", name="Skip")
        if community.count():
            community.click()
        page.get_by_text("fct_sales_lines", exact=True).first.wait_for(timeout=120_000)
        graph = page.inner_text("body")
        page.screenshot(path=str(screenshot))

    for group in ("landing", "bronze", "silver", "staging", "category"):
        assert f"\n{group}\n" in graph, group
    for asset in ("transactions", "products", "dim_products", "fct_sales_lines"):
        assert f"\n{asset}\n" in graph, asset
    assert screenshot.stat().st_size > 20_000


def test_the_global_lineage_lists_every_domain(lakehouse_up: Up) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(f"{lakehouse_up.ui}/asset-groups", wait_until="networkidle", timeout=180_000)
        page.get_by_text("promotions", exact=True).first.wait_for(timeout=120_000)
        groups = page.inner_text("body")

    for group in ("landing", "bronze", "silver", "warehouse", "staging", "intermediate", "category", "promotions",
                  "loyalty", "exports"):  # fmt: skip
        assert f"\n{group}\n" in groups, group


def test_ctrl_c_stops_dagster_and_the_warehouse_it_started(lakehouse_up: Up) -> None:
    assert answers(f"{lakehouse_up.warehouse}/ping")

    lakehouse_up.process.send_signal(signal.SIGINT)
    output, _ = lakehouse_up.process.communicate(timeout=120)

    assert lakehouse_up.process.returncode == 0, output
    assert f"ok starting the warehouse on {lakehouse_up.warehouse}" in output
    assert f"Dagster UI: {lakehouse_up.ui}" in output
    assert "ok stopped" in output
    assert not answers(f"{lakehouse_up.ui}/server_info")
    assert not answers(f"{lakehouse_up.warehouse}/ping")
