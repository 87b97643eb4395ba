"""The weekly marts build: every dbt model and test, the incremental ones over every week, in one run."""

from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from lakehouse.settings import Settings
from orchestration.partitions import all_weeks_tags

MARTS_BUILD = "marts_build"


def marts_build(marts: Sequence[dg.AssetsDefinition]) -> UnresolvedAssetJobDefinition:
    """The job over every dbt model the project declares, whichever folder or group it is in."""
    return dg.define_asset_job(
        MARTS_BUILD,
        selection=dg.AssetSelection.assets(*marts),
        description="dbt build of every model and its tests: staging, intermediate and every mart "
        "(category, promotions, loyalty, exports), the weekly ones over every week.",
    )


def weekly_marts_build(settings: Settings, job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """After the daily ingestion; incremental models rewrite each week's partition, so a rerun is harmless."""

    @dg.schedule(
        name="weekly_marts_build",
        job=job,
        cron_schedule=settings.marts_build_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Weekly ({settings.marts_build_cron} UTC): the {MARTS_BUILD} job, every dbt model and test "
        "over every week.",
    )
    def schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return dg.RunRequest(tags=all_weeks_tags())

    return schedule
