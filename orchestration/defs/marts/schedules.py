"""The weekly marts build: every dbt model and test, the incremental ones over every week, in one run."""

import dagster as dg

from orchestration.partitions import WEEK_PARTITIONS, all_weeks_tags

MARTS_BUILD = dg.define_asset_job(
    "marts_build",
    selection=dg.AssetSelection.groups("staging", "intermediate", "category", "promotions", "loyalty"),
    partitions_def=WEEK_PARTITIONS,
    description="dbt build of staging, intermediate and the category, promotions and loyalty marts.",
)


@dg.schedule(
    name="weekly_marts_build",
    job=MARTS_BUILD,
    cron_schedule="0 6 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def weekly_marts_build(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Monday after the daily ingestion; incremental models rewrite each week's partition, so a rerun is harmless."""
    return dg.RunRequest(tags=all_weeks_tags())
