"""``lakehouse up`` as operators use it: runs launched through the webserver and the daemon, the UI in Chromium.

One ``lakehouse up`` serves the materialised sample platform. Runs are launched
the way the UI launches them (its GraphQL API) and by the daemon (the landing
sensor, a schedule tick); the instance runs one at a time, so they queue.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import httpx
import pytest

from lakehouse.audit_trail import audit_records
from lakehouse.processes import answers, free_port
from lakehouse.settings import Settings
from orchestration.definitions import PLATFORM, build_definitions
from orchestration.defs.lake.assets import bronze_key, silver_key
from orchestration.defs.landing.sensors import week_selection
from orchestration.defs.models.assets import PLATFORM_ASSETS
from orchestration.materialise import PlatformRun
from orchestration.partitions import all_weeks_tags, partition_of_week
from tests.browser import chromium, show_metadata_plots_by_event
from tests.conftest import SAMPLE_HOUSEHOLDS
from tests.dagster_ui import ASSET_JOB, DagsterWebserver
from tests.lake import late_transactions_file
from tests.processes import stop_process_tree

pytestmark = pytest.mark.e2e

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))
LINEAGE = "/assets/category/category_performance_weekly?view=lineage&lineageScope=upstream&lineageDepth=6"
RUN_TIMEOUT_S = 1800
"""Queued time included: the instance runs one at a time and the daemon queues its own runs beside these."""
UI_WEEK = 30
SENSOR_WEEK = 12
SENSOR_INTERVAL_S = 10
"""The landing sensor's interval in this test's ``lakehouse up`` (a minute by default): a new file is seen sooner."""
SENSOR_FILE = f"transactions/week_{SENSOR_WEEK:02d}/transactions_week{SENSOR_WEEK:02d}_late.parquet"


@dataclass
class Up:
    process: subprocess.Popen[str]
    ui: str
    api: str
    webserver: DagsterWebserver
    schedule_due: datetime
    environment: dict[str, str]


def _schedule_minute() -> datetime:
    """A minute far enough ahead that the daemon is up before it, so its tick launches one run."""
    return (datetime.now(UTC) + timedelta(minutes=3)).replace(second=0, microsecond=0)


@pytest.fixture(scope="module")
def lakehouse_up(
    platform_run: PlatformRun, platform_settings: Settings, platform_instance: dg.DagsterInstance
) -> Iterator[Up]:
    """``lakehouse up`` on the materialised platform and its warehouse, the marts schedule due in a few minutes."""
    assert platform_run.success, platform_run.failure
    ui_port, api_port = free_port(), free_port()
    due = _schedule_minute()
    environment = {
        **os.environ,
        **platform_settings.as_environment(),
        "LAKEHOUSE_MARTS_BUILD_CRON": f"{due.minute} {due.hour} * * *",
        "LAKEHOUSE_LANDING_SENSOR_INTERVAL_S": str(SENSOR_INTERVAL_S),
    }
    process = subprocess.Popen(
        [LAKEHOUSE, "up", "--port", str(ui_port), "--api-port", str(api_port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    up = Up(
        process, f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}",
        DagsterWebserver(ui_port, platform_instance), due, environment,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not up.webserver.location_loaded():
        assert process.poll() is None and time.monotonic() < deadline, "the Dagster UI never loaded the code location"
        time.sleep(0.5)
    yield up
    stop_process_tree(process)


def _week_of(settings: Settings, table: str) -> list[dg.AssetKey]:
    """What the operator selects to redo a table's week: its bronze and silver and the week's assets downstream."""
    return sorted(week_selection(table).resolve(build_definitions(settings).resolve_asset_graph()))


def _assert_succeeded_whole(webserver: DagsterWebserver, run_id: str, expected: set[dg.AssetKey]) -> None:
    assert webserver.wait_for(run_id, RUN_TIMEOUT_S) == dg.DagsterRunStatus.SUCCESS, webserver.step_failures(run_id)
    assert expected <= webserver.materialised(run_id)
    evaluated, failed = webserver.failed_checks(run_id)
    assert evaluated > 0
    assert failed == []


def test_runs_launched_from_the_ui_queue_one_at_a_time_and_succeed(
    lakehouse_up: Up, platform_settings: Settings
) -> None:
    webserver = lakehouse_up.webserver
    week_assets = _week_of(platform_settings, "transactions")
    households = {"ops": {"landing_feeds": {"config": {"households": SAMPLE_HOUSEHOLDS}}}}

    one_week = webserver.launch(ASSET_JOB, week_assets, tags={"dagster/partition": partition_of_week(UI_WEEK)})
    everything = webserver.launch(PLATFORM.name, tags=all_weeks_tags(), run_config=households)

    _assert_succeeded_whole(webserver, one_week, set(week_assets))
    everything_assets = PLATFORM_ASSETS.resolve(build_definitions(platform_settings).resolve_asset_graph())
    _assert_succeeded_whole(webserver, everything, set(everything_assets))
    first, second = webserver.run_window(one_week), webserver.run_window(everything)
    assert second[0] >= first[1], "the second run started before the first had finished"


def test_a_new_landing_file_makes_the_daemons_sensor_start_a_run_that_succeeds(
    lakehouse_up: Up, platform_settings: Settings
) -> None:
    webserver = lakehouse_up.webserver
    deadline = time.monotonic() + 180
    while not webserver.sensor_has_ticked("new_landing_files"):
        assert time.monotonic() < deadline, "the landing sensor never ticked"
        time.sleep(1)
    late = Path(platform_settings.landing_uri) / SENSOR_FILE

    late.write_bytes(late_transactions_file(platform_settings, SENSOR_WEEK))
    deadline = time.monotonic() + 180
    while not (runs := webserver.runs_tagged("dagster/sensor_name", "new_landing_files")):
        assert time.monotonic() < deadline, "the landing sensor requested no run"
        time.sleep(2)

    [run] = runs
    assert run.tags["dagster/partition"] == partition_of_week(SENSOR_WEEK)
    try:
        _assert_succeeded_whole(webserver, run.run_id, set(_week_of(platform_settings, "transactions")))
    finally:
        late.unlink()


def test_the_daemon_launches_the_marts_schedules_tick_and_its_run_succeeds(lakehouse_up: Up) -> None:
    webserver = lakehouse_up.webserver
    deadline = time.monotonic() + max(0.0, (lakehouse_up.schedule_due - datetime.now(UTC)).total_seconds()) + 180
    while not (runs := webserver.runs_tagged("dagster/schedule_name", "weekly_marts_build")):
        assert time.monotonic() < deadline, f"no run for the tick due at {lakehouse_up.schedule_due:%H:%M} UTC"
        time.sleep(2)

    [run] = runs
    assert run.job_name == "marts_build"
    _assert_succeeded_whole(webserver, run.run_id, {dg.AssetKey(["exports", "export_household_segments"])})


def test_a_run_whose_weeks_landing_file_is_missing_fails_naming_it_in_the_ui_and_the_audit(
    lakehouse_up: Up, platform_settings: Settings, tmp_path: Path
) -> None:
    webserver = lakehouse_up.webserver
    relative = "promotions/week_20/promotions_week20.parquet"
    landed = Path(platform_settings.landing_uri) / relative
    aside = tmp_path / "promotions_week20.parquet"
    shutil.move(landed, aside)
    try:
        run_id = webserver.launch(
            ASSET_JOB,
            [bronze_key("promotions"), silver_key("promotions")],
            tags={"dagster/partition": partition_of_week(20)},
        )
        status = webserver.wait_for(run_id, RUN_TIMEOUT_S)
    finally:
        shutil.move(aside, landed)

    assert status == dg.DagsterRunStatus.FAILURE
    [failure] = webserver.step_failures(run_id)
    assert f"landing file {landed} is missing: the landing manifest lists it for promotions week 20" in failure
    deadline = time.monotonic() + 120
    while not (records := [r for r in audit_records(platform_settings) if run_id in r.reference]):
        assert time.monotonic() < deadline, "the failed run never reached the audit table"
        time.sleep(2)
    [record] = records
    assert record.outcome == "failed"
    assert record.detail == f"step ingest_promotions: {failure.splitlines()[0]}"
    assert "exited with code" not in record.detail


def test_the_asset_graph_shows_the_lineage_from_landing_through_silver_into_a_mart(
    lakehouse_up: Up, platform_settings: Settings
) -> None:
    screenshot = platform_settings.data_dir / "dagster-lineage.png"

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(f"{lakehouse_up.ui}{LINEAGE}", wait_until="networkidle", timeout=180_000)
        page.get_by_text("fct_sales_lines", exact=True).first.wait_for(timeout=120_000)
        graph = page.inner_text("body")
        page.screenshot(path=str(screenshot))

    for group in ("landing", "bronze", "silver", "staging", "category"):
        assert f"\n{group}\n" in graph, group
    for asset in ("transactions", "products", "dim_products", "fct_sales_lines"):
        assert f"\n{asset}\n" in graph, asset
    assert "Join the Dagster community" not in graph
    assert screenshot.stat().st_size > 20_000


def test_the_silver_asset_page_plots_its_row_counts_over_runs(lakehouse_up: Up, platform_settings: Settings) -> None:
    screenshot = platform_settings.data_dir / "dagster-silver-transactions.png"

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        page.goto(f"{lakehouse_up.ui}/assets/silver/transactions", wait_until="networkidle", timeout=180_000)
        show_metadata_plots_by_event(page)
        plots = page.inner_text("body")
        page.screenshot(path=str(screenshot), full_page=True)

    for name in ("rows_in", "rows_accepted", "rows_quarantined"):
        assert f"\n{name}\n" in plots, name
    assert screenshot.stat().st_size > 50_000


def test_the_global_lineage_lists_every_domain(lakehouse_up: Up) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.goto(f"{lakehouse_up.ui}/asset-groups", wait_until="networkidle", timeout=180_000)
        page.get_by_text("promotions", exact=True).first.wait_for(timeout=120_000)
        groups = page.inner_text("body")

    for group in ("landing", "bronze", "silver", "warehouse", "staging", "intermediate", "category", "promotions",
                  "loyalty", "exports"):  # fmt: skip
        assert f"\n{group}\n" in groups, group


def test_a_second_lakehouse_up_on_the_same_data_folder_stops_at_once_naming_the_first(
    lakehouse_up: Up, platform_settings: Settings
) -> None:
    started = time.monotonic()
    second = subprocess.run(
        [LAKEHOUSE, "up", "--port", str(free_port()), "--api-port", str(free_port())],
        env=lakehouse_up.environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert second.returncode == 1
    [line, *_] = second.stdout.strip().splitlines()
    data_dir = platform_settings.data_dir
    assert f"lakehouse up on {data_dir} is already running as process {lakehouse_up.process.pid}" in line
    assert time.monotonic() - started < 30
    assert answers(f"{lakehouse_up.ui}/server_info")


def test_the_api_serves_beside_the_ui_and_waits_for_scores_before_it_is_ready(lakehouse_up: Up) -> None:
    docs = httpx.get(f"{lakehouse_up.api}/docs", timeout=10)
    ready = httpx.get(f"{lakehouse_up.api}/readyz", timeout=10)
    anonymous = httpx.get(f"{lakehouse_up.api}/v1/retailers/R01/category-performance", timeout=10)

    assert docs.status_code == 200 and "Retail insights API" in docs.text
    assert ready.status_code == 503 and ready.json()["warehouse"] and not ready.json()["scores_loaded"]
    assert anonymous.status_code == 401


def test_ctrl_c_stops_dagster_and_leaves_the_warehouse_it_did_not_start(
    lakehouse_up: Up, platform_settings: Settings
) -> None:
    lakehouse_up.process.send_signal(signal.SIGINT)
    output, _ = lakehouse_up.process.communicate(timeout=120)

    assert lakehouse_up.process.returncode == 0, output
    assert f"ok the warehouse already answers at {platform_settings.clickhouse_url}" in output
    assert f"Dagster UI: {lakehouse_up.ui}" in output
    assert "ok stopped" in output
    assert f"API: {lakehouse_up.api}/docs" in output
    assert not answers(f"{lakehouse_up.ui}/server_info")
    assert not answers(f"{lakehouse_up.api}/healthz")
    assert answers(f"{platform_settings.clickhouse_url}/ping")
