"""Daily ingestion: every table's new landing files into bronze and silver, all weeks in one run."""

from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from lakehouse.settings import Settings
from orchestration.partitions import all_weeks_tags

LAKE_INGESTION = "lake_ingestion"


def lake_ingestion(lake: Sequence[dg.AssetsDefinition]) -> UnresolvedAssetJobDefinition:
    """The job over ``lake``: the ingestion steps and what registers their tables in the warehouse."""
    return dg.define_asset_job(
        LAKE_INGESTION,
        selection=dg.AssetSelection.assets(*lake),
        description="New landing files into bronze and silver (every week in one run), "
        "then silver registered in the warehouse. A file already in the ledger is skipped.",
    )


def daily_lake_ingestion(settings: Settings, job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """Ingestion skips files already in the ledger, so a run over every week only does what is new."""

    @dg.schedule(
        name="daily_lake_ingestion",
        job=job,
        cron_schedule=settings.lake_ingestion_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Every day ({settings.lake_ingestion_cron} UTC): the {LAKE_INGESTION} job over every week; "
        "only files not yet in the ledger are read.",
    )
    def schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(tags=all_weeks_tags())

    return schedule
