"""The code location: each domain's assets, checks, schedules and sensors, merged with resources from settings.

``workspace.yaml`` loads this module; Dagster calls ``defs`` when it loads the
code location, so importing the module reads nothing and connects to nothing.
"""

from __future__ import annotations

import dagster as dg

from lakehouse.dbt import dbt_manifest
from lakehouse.settings import Settings, get_settings
from orchestration.defs.lake.assets import LAKE_ASSETS
from orchestration.defs.lake.checks import SILVER_FRESHNESS
from orchestration.defs.lake.schedules import daily_lake_ingestion, lake_ingestion
from orchestration.defs.landing.assets import landing_feeds
from orchestration.defs.landing.sensors import new_landing_files
from orchestration.defs.marts.assets import marts_assets
from orchestration.defs.marts.checks import marts_freshness
from orchestration.defs.marts.schedules import marts_build, weekly_marts_build
from orchestration.defs.models.assets import MODEL_ASSETS, PLATFORM_ASSETS
from orchestration.defs.models.schedules import model_training, weekly_model_training
from orchestration.defs.operations.sensors import audit_failed_runs, audit_succeeded_runs
from orchestration.defs.warehouse.assets import silver_tables
from orchestration.partitions import WEEK_PARTITIONS
from orchestration.resources import platform_resources


def _landing(settings: Settings) -> dg.Definitions:
    return dg.Definitions(assets=[landing_feeds], sensors=[new_landing_files(settings)])


def _lake_and_warehouse(settings: Settings) -> dg.Definitions:
    """Ingestion and the warehouse's view of silver, which the daily ingestion job refreshes together."""
    job = lake_ingestion([*LAKE_ASSETS, silver_tables])
    return dg.Definitions(
        assets=[*LAKE_ASSETS, silver_tables],
        asset_checks=SILVER_FRESHNESS,
        jobs=[job],
        schedules=[daily_lake_ingestion(settings, job)],
    )


def _marts(settings: Settings) -> dg.Definitions:
    marts = marts_assets(dbt_manifest(settings))
    job = marts_build(marts)
    return dg.Definitions(
        assets=marts, asset_checks=marts_freshness(marts), jobs=[job], schedules=[weekly_marts_build(settings, job)]
    )


def _models(settings: Settings) -> dg.Definitions:
    job = model_training(MODEL_ASSETS)
    return dg.Definitions(assets=MODEL_ASSETS, jobs=[job], schedules=[weekly_model_training(settings, job)])


def _operations(freshness_checks: list[dg.AssetChecksDefinition]) -> dg.Definitions:
    return dg.Definitions(
        sensors=[
            audit_failed_runs,
            audit_succeeded_runs,
            dg.build_sensor_for_freshness_checks(
                freshness_checks=freshness_checks, default_status=dg.DefaultSensorStatus.RUNNING
            ),
        ]
    )


PLATFORM = dg.define_asset_job(
    "platform",
    selection=PLATFORM_ASSETS,
    partitions_def=WEEK_PARTITIONS,
    description="Every asset and check, landing to marts: `lakehouse run` runs it once over every week. "
    "From the UI, pick a week (one partition) or a range of weeks (one run). The models train in their own "
    "job, model_training.",
)


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every domain, merged, with resources built from ``settings``.

    Steps run in the run's own process (the in-process executor): every Spark
    step of a run then shares one SparkSession, one JVM, instead of starting one each.
    """
    marts = _marts(settings)
    freshness = [*SILVER_FRESHNESS, *(marts.asset_checks or [])]
    return dg.Definitions.merge(
        _landing(settings),
        _lake_and_warehouse(settings),
        marts,
        _models(settings),
        _operations([check for check in freshness if isinstance(check, dg.AssetChecksDefinition)]),
        dg.Definitions(jobs=[PLATFORM], resources=platform_resources(settings), executor=dg.in_process_executor),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(get_settings())
