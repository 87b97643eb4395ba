"""Weekly model training: each dataset cut again, each model trained, registered and judged, the champion scoring."""

from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from lakehouse.settings import Settings

MODEL_TRAINING = "model_training"


def model_training(models: Sequence[dg.AssetsDefinition]) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        MODEL_TRAINING,
        selection=dg.AssetSelection.assets(*models),
        description="Both models: datasets cut from silver, training by the configured runner, registration and "
        "promotion in MLflow, then every eligible household scored by each champion.",
    )


def weekly_model_training(settings: Settings, job: UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """After the weekly marts build, on the week's silver."""
    return dg.ScheduleDefinition(
        name="weekly_model_training",
        job=job,
        cron_schedule=settings.models_train_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Weekly ({settings.models_train_cron} UTC): the {MODEL_TRAINING} job.",
    )
