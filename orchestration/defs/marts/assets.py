"""The dbt project as assets: staging views, the shared intermediate model and the marts.

Each dbt model is an asset keyed ``<database>/<model>`` in the group of its
folder (staging, intermediate, category, promotions, loyalty); each dbt source
is the silver asset of the same name, so lineage runs from landing into the
marts. dbt tests are the models' asset checks.

Three steps build the project in order: the models upstream of or beside the
incremental ones, the incremental models (partitioned by week, the run's weeks
passed as dbt vars), then the models built on them (rebuilt whole). A test runs
in the step that builds the last of its parents, so it never meets a table that
this run has yet to build.
"""

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from lakehouse.progress import node_progress, stage, stdout_to
from lakehouse.settings import Settings
from orchestration.failures import TRANSIENT_RETRY, data_errors_are_final
from orchestration.partitions import WEEK_PARTITIONS, weeks_of_run
from orchestration.resources import WarehouseResource

MODELS = "resource_type:model"
INCREMENTAL = "config.materialized:incremental"
BUILT_ON_INCREMENTAL = "config.materialized:incremental+,resource_type:model"
"""Models only: a graph selector also picks the tests beneath, which the steps place themselves."""


class PlatformDbtTranslator(DagsterDbtTranslator):
    """Keys as the warehouse names tables (``category/fct_sales_lines``), sources as silver, groups from folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["silver", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return str(dbt_resource_props["fqn"][-2])


@dataclass(frozen=True)
class BuildOrder:
    """Which step builds each model (0 foundation, 1 weekly, 2 built on weekly), and each test's step."""

    step_of_model: dict[str, int]
    manifest: Mapping[str, Any]

    @classmethod
    def of(cls, manifest: Mapping[str, Any]) -> "BuildOrder":
        models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
        incremental = {uid for uid, node in models.items() if node["config"]["materialized"] == "incremental"}
        built_on, frontier = set(), list(incremental)
        while frontier:
            for child in manifest["child_map"].get(frontier.pop(), []):
                if child in models and child not in built_on:
                    built_on.add(child)
                    frontier.append(child)
        step = {uid: 1 if uid in incremental else 2 if uid in built_on else 0 for uid in models}
        return cls(step, manifest)

    def tests_for(self, selected_models: set[str]) -> list[str]:
        """The tests to run beside ``selected_models``: those on them whose parents no later step builds."""
        if not selected_models:
            return []
        step = max(self.step_of_model[uid] for uid in selected_models)
        tests = [*self.manifest["nodes"].values(), *self.manifest.get("unit_tests", {}).values()]
        chosen = []
        for test in tests:
            if test["resource_type"] not in ("test", "unit_test"):
                continue
            parents = {uid for uid in test["depends_on"]["nodes"] if uid in self.step_of_model}
            if parents & selected_models and all(self.step_of_model[uid] <= step for uid in parents):
                chosen.append(test["name"])
        return sorted(chosen)


def _dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    settings: Settings,
    order: BuildOrder,
    unique_ids: Mapping[dg.AssetKey, str],
    *arguments: str,
) -> Iterator[Any]:
    """``dbt build`` of the step's models and their tests, streaming each result to Dagster as it lands.

    dbt's own output goes to a log under data/logs; the terminal gets a line and a progress bar.
    """
    warehouse.ensure_serving()
    selected = {unique_ids[key] for key in context.selected_asset_keys if key in unique_ids}
    tests = order.tests_for(selected)
    test_selection = ["--select", " ".join(tests)] if tests else []
    name = context.op_execution_context.op_handle.name
    log_path = settings.data_dir / "logs" / f"dbt-{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    context.log.info(f"dbt output: {log_path}")
    with stage(f"dbt: building {len(selected)} models with {len(tests)} tests ({name})") as line:
        done = 0
        with (
            log_path.open("w") as log,
            node_progress(f"dbt {name}") as advance,
            stdout_to(log),
            warehouse.dbt_environment(),
            data_errors_are_final(),
        ):
            command = ["build", "--indirect-selection", "empty", *test_selection, *arguments]
            for event in dbt.cli(command, context=context).stream():
                done += isinstance(event, dg.Output | dg.AssetMaterialization | dg.AssetCheckResult)
                advance(done, len(selected) + len(tests))
                yield event
        line.notes.append(f"{len(selected)} models built, {len(tests)} tests passed; dbt output {log_path}")


def marts_assets(manifest_path: Path) -> list[dg.AssetsDefinition]:
    """The dbt assets of the project ``manifest_path`` describes, as the three steps that build it."""
    manifest = json.loads(manifest_path.read_text())
    translator = PlatformDbtTranslator()
    order = BuildOrder.of(manifest)
    unique_ids = {translator.get_asset_key(node): uid for uid, node in manifest["nodes"].items()
                  if node["resource_type"] == "model"}  # fmt: skip

    @dbt_assets(
        manifest=manifest,
        select=MODELS,
        exclude=BUILT_ON_INCREMENTAL,
        name="dbt_foundation",
        dagster_dbt_translator=translator,
        retry_policy=TRANSIENT_RETRY,
    )
    def dbt_foundation(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        settings: dg.ResourceParam[Settings],
    ) -> Iterator[Any]:
        yield from _dbt_build(context, dbt, warehouse, settings, order, unique_ids)

    @dbt_assets(
        manifest=manifest,
        select=INCREMENTAL,
        name="dbt_weekly_marts",
        partitions_def=WEEK_PARTITIONS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=translator,
        retry_policy=TRANSIENT_RETRY,
    )
    def dbt_weekly_marts(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        settings: dg.ResourceParam[Settings],
    ) -> Iterator[Any]:
        weeks = weeks_of_run(context)
        assert weeks is not None, "the weekly marts are partitioned by week"
        window = json.dumps({"from_week": weeks.start, "to_week": weeks.stop - 1})
        yield from _dbt_build(context, dbt, warehouse, settings, order, unique_ids, "--vars", window)

    @dbt_assets(
        manifest=manifest,
        select=BUILT_ON_INCREMENTAL,
        exclude=INCREMENTAL,
        name="dbt_marts",
        dagster_dbt_translator=translator,
        retry_policy=TRANSIENT_RETRY,
    )
    def dbt_marts(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        settings: dg.ResourceParam[Settings],
    ) -> Iterator[Any]:
        yield from _dbt_build(context, dbt, warehouse, settings, order, unique_ids)

    return [dbt_foundation, dbt_weekly_marts, dbt_marts]
