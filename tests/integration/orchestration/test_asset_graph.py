"""The code location loads and its graph is whole: every step an asset, lineage unbroken, checks in place."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from lakehouse.settings import PROJECT_ROOT, Settings
from orchestration.definitions import PLATFORM, build_definitions
from orchestration.defs.lake.assets import bronze_key, silver_key
from orchestration.defs.landing.assets import landing_key
from orchestration.partitions import WEEK_PARTITIONS
from spark_jobs.tables import TABLES
from tests.marts import MARTS

pytestmark = pytest.mark.integration

WEEKLY_MARTS = {
    ("category", "fct_sales_lines"),
    ("category", "category_sales_weekly"),
    ("promotions", "promotion_calendar"),
}


@pytest.fixture(scope="module")
def definitions(local_settings: Settings) -> dg.Definitions:
    return build_definitions(local_settings)


def test_every_table_has_landing_bronze_and_silver_assets_in_order(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()

    for table, spec in TABLES.items():
        assert graph.get(bronze_key(table)).parent_keys == {landing_key(table)}
        silver_parents = {bronze_key(table), *(silver_key(ref.table) for ref in spec.checked_references)}
        assert graph.get(silver_key(table)).parent_keys == silver_parents
        assert (graph.get(silver_key(table)).partitions_def == WEEK_PARTITIONS) is spec.weekly, table


def test_lineage_runs_from_a_landing_feed_into_every_mart_built_on_it(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    downstream_of_transactions = dg.AssetSelection.assets(landing_key("transactions")).downstream().resolve(graph)

    for database, models in MARTS.items():
        for model in models:
            key = dg.AssetKey([database, model])
            assert graph.has(key), key
            assert (graph.get(key).partitions_def is not None) is ((database, model) in WEEKLY_MARTS), key
    assert dg.AssetKey(["category", "category_performance_weekly"]) in downstream_of_transactions
    assert dg.AssetKey(["staging", "stg_silver__transactions"]) in graph.get(silver_key("transactions")).child_keys
    assert [key for key in graph.get_all_asset_keys() if key.path[0] == "reconciliation"] == []


def test_silver_has_its_gx_suite_and_freshness_checks_and_marts_their_dbt_tests(definitions: dg.Definitions) -> None:
    checks = definitions.resolve_asset_graph().asset_check_keys

    for table in TABLES:
        assert dg.AssetCheckKey(silver_key(table), "gx_suite") in checks
        assert any(check.asset_key == silver_key(table) and "freshness" in check.name for check in checks), table
    fct = dg.AssetKey(["category", "fct_sales_lines"])
    assert any(check.asset_key == fct and check.name.startswith("relationships_") for check in checks)
    assert (
        dg.AssetCheckKey(
            dg.AssetKey(["category", "category_sales_weekly"]), "category_sales_weekly_reconciles_with_silver"
        )
        in checks
    )
    assert any(check.asset_key == fct and "freshness" in check.name for check in checks)
    assert dg.AssetCheckKey(fct, "fct_sales_lines_reconciles_with_landing") in checks


def test_schedules_sensors_and_jobs_are_declared(definitions: dg.Definitions) -> None:
    assert {schedule.name for schedule in definitions.schedules or []} == {
        "daily_lake_ingestion",
        "weekly_marts_build",
        "weekly_model_training",
    }
    sensors = {sensor.name for sensor in definitions.sensors or []}
    assert {"new_landing_files", "audit_failed_runs", "audit_succeeded_runs"} <= sensors
    for job in ("platform", "lake_ingestion", "marts_build"):
        assert definitions.resolve_job_def(job).partitions_def == WEEK_PARTITIONS
    models = definitions.resolve_job_def("model_training")
    assert models.partitions_def is None
    assert {key.path[-1] for key in models.asset_layer.executable_asset_keys} == {
        "recommend_dataset", "recommend", "household_recommendations",
        "offer_response_dataset", "offer_response", "offer_propensity",
    }  # fmt: skip
    assert not any(
        key.path[0] == "ml" for key in definitions.resolve_job_def("platform").asset_layer.executable_asset_keys
    )


def test_importing_the_code_location_reads_no_settings_and_parses_nothing(tmp_path: Path) -> None:
    environment = {**os.environ, "LAKEHOUSE_DATA_DIR": str(tmp_path / "untouched")}
    probe = (
        "import orchestration.definitions, lakehouse.settings as s; "
        "print('settings read:', s.get_settings.cache_info().currsize)"
    )

    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env=environment, capture_output=True,
                          text=True, check=True)  # fmt: skip

    assert done.stdout.strip() == "settings read: 0"
    assert not (tmp_path / "untouched").exists()


def test_the_schedules_ask_for_one_run_over_every_week(definitions: dg.Definitions) -> None:
    for name, job in (("daily_lake_ingestion", "lake_ingestion"), ("weekly_marts_build", "marts_build")):
        schedule = definitions.resolve_schedule_def(name)

        [request] = schedule.evaluate_tick(dg.build_schedule_context()).run_requests or []

        assert schedule.job_name == job
        assert request.tags["dagster/asset_partition_range_start"] == "2016-12-26"
        assert request.tags["dagster/asset_partition_range_end"] == "2017-12-25"


def test_every_step_has_a_name_an_operator_can_read(definitions: dg.Definitions) -> None:
    steps = {node.name for node in definitions.resolve_job_def(PLATFORM.name).graph.node_defs}

    assert {"silver_freshness", "marts_freshness", "ingest_transactions", "dbt_weekly_marts"} <= steps
    assert [step for step in steps if re.search(r"_[0-9a-f]{8}$", step)] == []


def test_every_schedule_sensor_and_job_says_what_it_does_and_every_asset_has_an_owner(
    definitions: dg.Definitions,
) -> None:
    repository = definitions.get_repository_def()
    graph = definitions.resolve_asset_graph()

    for schedule in repository.schedule_defs:
        assert schedule.description, schedule.name
    for sensor in repository.sensor_defs:
        assert sensor.description, sensor.name
    for job in ("platform", "lake_ingestion", "marts_build"):
        assert definitions.resolve_job_def(job).description, job
    assert [key for key in graph.get_all_asset_keys() if not graph.get(key).owners] == []


def test_the_weekly_marts_build_selects_every_dbt_model_from_the_graph_exports_included(
    definitions: dg.Definitions,
) -> None:
    selected = definitions.resolve_job_def("marts_build").asset_layer.selected_asset_keys
    graph = definitions.resolve_asset_graph()
    dbt_models = {key for key in graph.get_all_asset_keys() if "dbt" in graph.get(key).kinds}

    assert dg.AssetKey(["exports", "export_household_segments"]) in selected
    assert selected == dbt_models


def test_the_schedules_and_the_landing_sensor_run_when_the_settings_say(local_settings: Settings) -> None:
    settings = local_settings.model_copy(
        update={"marts_build_cron": "15 * * * *", "lake_ingestion_cron": "0 3 * * *", "landing_sensor_interval_s": 15}
    )

    definitions = build_definitions(settings)

    assert definitions.resolve_schedule_def("weekly_marts_build").cron_schedule == "15 * * * *"
    assert definitions.resolve_schedule_def("daily_lake_ingestion").cron_schedule == "0 3 * * *"
    assert definitions.resolve_sensor_def("new_landing_files").minimum_interval_seconds == 15
    assert build_definitions(local_settings).resolve_sensor_def("new_landing_files").minimum_interval_seconds == 60


def test_the_freshness_sensor_evaluates_every_freshness_check(definitions: dg.Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    sensor = definitions.get_repository_def().get_sensor_def("freshness_checks_sensor")
    freshness = {check for check in graph.asset_check_keys if check.name == "freshness_check"}

    assert sensor.asset_selection is not None
    assert len(freshness) == len(TABLES) + sum(len(models) for models in MARTS.values())
    assert sensor.asset_selection.resolve_checks(graph) == freshness
