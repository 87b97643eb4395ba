"""Training a model from the lake: its dataset cut from silver, its entry point run by the configured runner,
the run logged and the model registered (and promoted if it earns it, ``lakehouse.model_registry``).

The local runner (``ML_BACKEND=local``, the default) runs the entry point in
SageMaker's ``/opt/ml`` layout under ``data/ml/jobs/<job>/``. A job that fails
raises before anything is registered, so the champion keeps serving. With
``ML_BACKEND=sagemaker`` the dataset's channels are uploaded under
``<ml_s3_uri>/datasets/`` and the same entry point is launched as a SageMaker
training job that writes under ``<ml_s3_uri>/jobs/``; the command returns once
SageMaker has the job, and registering what it trains is not wired yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lakehouse.ml_datasets import Dataset, extract_dataset
from lakehouse.model_registry import Registration, register
from lakehouse.progress import stage
from lakehouse.settings import Settings
from ml.jobs import HyperparameterValue, Model, TrainingJob
from ml.local_runner import TrainingOutcome, run_locally

if TYPE_CHECKING:
    import boto3

    from ml.sagemaker_runner import LaunchedJob, SageMakerTarget


class BackendNotReadyError(RuntimeError):
    """The configured training backend cannot run this command yet."""


@dataclass(frozen=True)
class TrainedModel:
    dataset: Dataset
    outcome: TrainingOutcome
    registration: Registration


def jobs_dir(settings: Settings) -> Path:
    return settings.data_dir / "ml" / "jobs"


def job_name(model: Model, dataset: Dataset, at: datetime) -> str:
    """A name SageMaker accepts (letters, digits, hyphens; at most 63): the model, its dataset and when."""
    return f"{model.replace('_', '-')}-{dataset.manifest.version}-{at:%Y%m%d%H%M%S}"


def train_on(
    settings: Settings, model: Model, dataset: Dataset, hyperparameters: dict[str, HyperparameterValue] | None = None
) -> TrainingOutcome:
    """Run ``model``'s entry point on ``dataset``'s channels through the configured runner."""
    _require_local_backend(settings)
    job = TrainingJob(job_name(model, dataset, datetime.now(UTC)), model, dataset.channels, hyperparameters or {})
    with stage(f"training {model} (local runner, SageMaker's /opt/ml layout)") as report:
        outcome = run_locally(job, jobs_dir(settings))
        report.notes.append(f"job {outcome.job_dir}; model {outcome.model_artifact}")
    return outcome


def _require_local_backend(settings: Settings) -> None:
    if settings.ml_backend != "local":
        raise BackendNotReadyError(
            f"ML_BACKEND={settings.ml_backend}: this step trains with the local runner; "
            "`lakehouse models train` launches on SageMaker"
        )


def sagemaker_target(settings: Settings) -> SageMakerTarget:
    """Where SageMaker runs the jobs, from settings; a setting left empty is refused, naming it."""
    from ml.sagemaker_runner import SageMakerTarget

    required = {
        "LAKEHOUSE_SAGEMAKER_ROLE_ARN": settings.sagemaker_role_arn,
        "LAKEHOUSE_SAGEMAKER_IMAGE_URI": settings.sagemaker_image_uri,
        "LAKEHOUSE_ML_S3_URI": settings.ml_s3_uri,
    }
    if missing := [name for name, value in required.items() if not value]:
        raise BackendNotReadyError(f"ML_BACKEND=sagemaker needs {', '.join(missing)}; nothing was launched")
    if not settings.ml_s3_uri.startswith("s3://"):
        raise BackendNotReadyError(f"LAKEHOUSE_ML_S3_URI {settings.ml_s3_uri!r} is not an s3:// prefix")
    return SageMakerTarget(
        role_arn=settings.sagemaker_role_arn,
        image_uri=settings.sagemaker_image_uri,
        staging_bucket=urlsplit(settings.ml_s3_uri).netloc,
        output_path=f"{settings.ml_s3_uri.rstrip('/')}/jobs/",
        instance_type=settings.sagemaker_instance_type,
    )


def upload_channels(settings: Settings, dataset: Dataset) -> dict[str, str]:
    """Each channel's Parquet files under ``<ml_s3_uri>/datasets/<model>/<version>/<channel>/``; their prefixes."""
    address = urlsplit(settings.ml_s3_uri)
    root = f"{address.path.strip('/')}/datasets/{dataset.manifest.model}/{dataset.manifest.version}".lstrip("/")
    s3 = settings.object_store.boto3_client()
    prefixes = {}
    for channel, folder in dataset.channels.items():
        for path in sorted(folder.glob("*.parquet")):
            s3.upload_file(str(path), address.netloc, f"{root}/{channel}/{path.name}")
        prefixes[channel] = f"s3://{address.netloc}/{root}/{channel}/"
    return prefixes


def launch_training(
    settings: Settings, model: Model, boto_session: boto3.Session | None = None
) -> tuple[Dataset, LaunchedJob]:
    """Cut (or find) the dataset, upload its channels and launch ``model``'s entry point on SageMaker."""
    import boto3

    from ml.sagemaker_runner import launch_on_sagemaker

    target = sagemaker_target(settings)
    dataset = _cut(settings, model)
    with stage(f"uploading the {model} channels to {settings.ml_s3_uri}") as report:
        channels = upload_channels(settings, dataset)
        report.add(files=len(channels))
    job = TrainingJob(job_name(model, dataset, datetime.now(UTC)), model, channels)
    session = boto_session or boto3.Session(region_name=settings.s3_region)
    with stage(f"launching {model} on SageMaker ({target.instance_type})") as report:
        launched = launch_on_sagemaker(job, target, session)
        report.notes.append(f"{launched.arn}; model and metrics under {target.output_path}{launched.name}/")
    return dataset, launched


def _cut(settings: Settings, model: Model) -> Dataset:
    with stage(f"cutting the {model} dataset from silver") as report:
        dataset = extract_dataset(settings, model)
        report.add(rows=sum(channel["rows"] for channel in dataset.manifest.channels.values()))
        kept = dataset.manifest.households
        report.notes.append(
            f"{dataset.folder}{' (already cut from these table versions)' if dataset.reused else ''}; "
            f"{kept['eligible']} households, {kept['without_consent']} without consent and {kept['erased']} erased "
            "left out"
        )
    return dataset


def train_model(settings: Settings, model: Model) -> TrainedModel:
    """Cut (or find) ``model``'s dataset from silver, train it with the local runner and register it."""
    _require_local_backend(settings)
    dataset = _cut(settings, model)
    outcome = train_on(settings, model, dataset)
    with stage(f"registering {model} in MLflow and judging it against the champion and the baselines") as report:
        registration = register(settings, model, dataset, outcome)
        report.notes.append(
            f"version {registration.version.version}: "
            f"{'champion' if registration.verdict.promoted else 'challenger, not promoted'}"
        )
    return TrainedModel(dataset, outcome, registration)
