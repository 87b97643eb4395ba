"""The dbt project as assets: staging views, the shared intermediate model and the marts.

Each dbt model is an asset keyed ``<database>/<model>`` in the group of its
folder (staging, intermediate, category, promotions, loyalty); each dbt source
is the silver asset of the same name, or the asset its ``meta.dagster.asset_key``
names (the landing's figures are recorded by ``silver/transactions``), so
lineage runs from landing into the marts. dbt tests on models are the models' asset checks; the source tests run
beside the staging models that read the sources (as tests, not as checks on
silver, so that materialising silver never starts dbt).

Three steps build the project in order: the models upstream of or beside the
incremental ones, the incremental models (partitioned by week, the run's weeks
passed as dbt vars), then the models built on them (rebuilt whole). A test runs
in the step after which none of its parents is still to be built in the run.
"""

import json
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from clickhouse_connect.driver.exceptions import Error as ClickHouseError
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, DbtProject, dbt_assets

from lakehouse.dbt import DbtBuildError, dbt_step_target, dbt_vars, failure_reason, results_of_run
from lakehouse.progress import node_progress, stage
from lakehouse.settings import Settings
from orchestration.failures import TRANSIENT_RETRY, data_errors_are_final
from orchestration.owners import PLATFORM_OWNER
from orchestration.partitions import WEEK_PARTITIONS, weeks_label, weeks_of_run
from orchestration.resources import WarehouseResource

MODELS = "resource_type:model"
INCREMENTAL = "config.materialized:incremental"
BUILT_ON_INCREMENTAL = "config.materialized:incremental+,resource_type:model"
"""Models only: a graph selector also picks the tests beneath, which the steps place themselves."""


class PlatformDbtTranslator(DagsterDbtTranslator):
    """Keys as the warehouse names tables (``category/fct_sales_lines``), sources as silver, groups from folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            declared = dbt_resource_props.get("meta", {}).get("dagster", {}).get("asset_key")
            return dg.AssetKey(declared or ["silver", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return str(dbt_resource_props["fqn"][-2])

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        """The owner of the model's dbt group; the platform team for models outside the marts' groups."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec if spec.owners else spec.replace_attributes(owners=[PLATFORM_OWNER])


@dataclass(frozen=True)
class DbtTestPlacement:
    """Which dbt tests a step runs, so that no test meets a table its run has yet to build.

    Dagster may split a dbt step further to order it within a run, so the rule
    is dynamic: a step runs the tests on its models whose other parents this run
    does not still have to build. A test on a source runs beside a selected
    model that reads the source.
    """

    manifest: Mapping[str, Any]

    def tests_for(self, selected: set[str], pending: set[str]) -> list[str]:
        """Tests for the ``selected`` models (unique ids) while the run still has ``pending`` models to build."""
        models = {uid for uid, node in self.manifest["nodes"].items() if node["resource_type"] == "model"}
        tests = [*self.manifest["nodes"].values(), *self.manifest.get("unit_tests", {}).values()]
        chosen = []
        for test in tests:
            if test["resource_type"] not in ("test", "unit_test"):
                continue
            parents = {uid for uid in test["depends_on"]["nodes"] if uid in models}
            if not parents:
                readers = {child for source in test["depends_on"]["nodes"]
                           for child in self.manifest["child_map"].get(source, [])}  # fmt: skip
                if readers & selected:
                    chosen.append(test["name"])
            elif parents & selected and not parents & pending:
                chosen.append(test["name"])
        return sorted(chosen)


def _pending_models(context: dg.AssetExecutionContext, unique_ids: Mapping[dg.AssetKey, str]) -> set[str]:
    """The dbt models this run has yet to build in later steps."""
    planned = context.run.asset_selection or context.job_def.asset_layer.selected_asset_keys
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=100_000
    ).records
    built = {record.asset_key for record in records}
    later = set(planned) - built - set(context.selected_asset_keys)
    return {unique_ids[key] for key in later if key in unique_ids}


def _dbt_failure(invocation: DbtCliInvocation, manifest: Mapping[str, Any]) -> DbtBuildError:
    """What failed, from dbt's run results; from its structured error log when it stopped before any node."""
    try:
        results = results_of_run(invocation.get_artifact("run_results.json"), manifest)
    except FileNotFoundError:
        results = []
    errors = []
    log = invocation.target_path / "dbt.log"
    if log.exists():
        events = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
        errors = [event["info"]["msg"] for event in events if event["info"]["level"] == "error"]
    return DbtBuildError(failure_reason(results, "\n".join(errors)))


def _table_metadata(
    event: dg.Output | dg.AssetMaterialization,
    placement: DbtTestPlacement,
    warehouse: WarehouseResource,
    log: logging.Logger | dg.DagsterLogManager,
) -> dict[str, Any]:
    """The row count of a model dbt built as a table (not a view, whose count would run its query).

    Asked here, one query per model as its result arrives, rather than through
    dagster-dbt's ``fetch_row_counts``: its thread pool polls for dbt's next
    event without waiting, a core spent for the whole of every dbt step. The
    count describes a model dbt has built: when the warehouse cannot answer it,
    the step logs a warning and records the model without it.
    """
    node = placement.manifest["nodes"][event.metadata["unique_id"].value]
    if node["config"]["materialized"] == "view":
        return {}
    try:
        return {"dagster/row_count": warehouse.row_count(node["relation_name"])}
    except ClickHouseError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        log.warning(f"{node['relation_name']}: built, but its row count is not recorded: {reason}")
        return {}


def _dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    settings: Settings,
    placement: DbtTestPlacement,
    unique_ids: Mapping[dg.AssetKey, str],
    **dbt_vars_of_step: int,
) -> Iterator[Any]:
    """``dbt build`` of the step's models and their tests, streaming each result to Dagster as it lands.

    dbt's full output is in the step's compute log; the terminal gets a line and a progress bar.
    """
    warehouse.ensure_serving()
    selected = {unique_ids[key] for key in context.selected_asset_keys if key in unique_ids}
    tests = placement.tests_for(selected, _pending_models(context, unique_ids))
    test_selection = ["--select", " ".join(tests)] if tests else []
    name = context.op_execution_context.op_handle.name
    with stage(f"dbt: building {len(selected)} models with {len(tests)} tests ({name})") as line:
        done = 0
        with node_progress(f"dbt {name}") as advance, data_errors_are_final(settings.clickhouse_url):
            command = [
                "build", "--indirect-selection", "empty", *test_selection,
                "--vars", dbt_vars(settings, **dbt_vars_of_step), "--log-format-file", "json",
            ]  # fmt: skip
            weeks = weeks_of_run(context)
            target = dbt_step_target(settings, f"{name}-{context.run_id[:8]}-{uuid.uuid4().hex[:8]}")
            invocation = dbt.cli(command, context=context, raise_on_error=False, target_path=target)
            for event in invocation.stream():
                done += isinstance(event, dg.Output | dg.AssetMaterialization | dg.AssetCheckResult)
                advance(done, len(selected) + len(tests))
                if isinstance(event, dg.Output | dg.AssetMaterialization):
                    described = _table_metadata(event, placement, warehouse, context.log)
                    if weeks is not None:
                        described["data_weeks"] = weeks_label(weeks)
                    event = event.with_metadata({**event.metadata, **described})
                yield event
            if not invocation.is_successful():
                raise _dbt_failure(invocation, placement.manifest)
        line.notes.append(f"{len(selected)} models built, {len(tests)} tests passed; dbt log {invocation.target_path}")


def marts_assets(manifest_path: Path) -> list[dg.AssetsDefinition]:
    """The dbt assets of the project ``manifest_path`` describes, as the three steps that build it."""
    manifest = json.loads(manifest_path.read_text())
    translator = PlatformDbtTranslator()
    placement = DbtTestPlacement(manifest)
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
        yield from _dbt_build(context, dbt, warehouse, settings, placement, unique_ids)

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
        yield from _dbt_build(
            context, dbt, warehouse, settings, placement, unique_ids, from_week=weeks.start, to_week=weeks.stop - 1
        )

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
        yield from _dbt_build(context, dbt, warehouse, settings, placement, unique_ids)

    return [dbt_foundation, dbt_weekly_marts, dbt_marts]
