"""Daily ingestion: every table's new landing files into bronze and silver, all weeks in one run."""

import dagster as dg

from orchestration.partitions import WEEK_PARTITIONS, all_weeks_tags

LAKE_INGESTION = dg.define_asset_job(
    "lake_ingestion",
    selection=dg.AssetSelection.groups("bronze", "silver", "warehouse"),
    partitions_def=WEEK_PARTITIONS,
    description="New landing files into bronze and silver, then silver registered in the warehouse.",
)


@dg.schedule(
    name="daily_lake_ingestion",
    job=LAKE_INGESTION,
    cron_schedule="0 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_lake_ingestion(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Ingestion skips files already in the ledger, so a run over every week only does what is new."""
    return dg.RunRequest(tags=all_weeks_tags())
