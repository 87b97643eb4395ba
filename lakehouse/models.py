"""Training a model from the lake: its dataset cut from silver, its entry point run by the configured runner,
the run logged and the model registered (and promoted if it earns it, ``lakehouse.model_registry``).

The local runner (``ML_BACKEND=local``, the default) runs the entry point in
SageMaker's ``/opt/ml`` layout under ``data/ml/jobs/<job>/``. A job that fails
raises before anything is registered, so the champion keeps serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lakehouse.ml_datasets import Dataset, extract_dataset
from lakehouse.model_registry import Registration, register
from lakehouse.progress import stage
from lakehouse.settings import Settings
from ml.jobs import HyperparameterValue, Model, TrainingJob
from ml.local_runner import TrainingOutcome, run_locally


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
            f"ML_BACKEND={settings.ml_backend}: `lakehouse models train` runs the local runner only so far; "
            "ml.sagemaker_runner.launch_on_sagemaker launches the same entry point on SageMaker from Python"
        )


def train_model(settings: Settings, model: Model) -> TrainedModel:
    """Cut (or find) ``model``'s dataset from silver and train on it; an unready backend is refused first."""
    _require_local_backend(settings)
    with stage(f"cutting the {model} dataset from silver") as report:
        dataset = extract_dataset(settings, model)
        report.add(rows=sum(channel["rows"] for channel in dataset.manifest.channels.values()))
        kept = dataset.manifest.households
        report.notes.append(
            f"{dataset.folder}{' (already cut from these table versions)' if dataset.reused else ''}; "
            f"{kept['eligible']} households, {kept['without_consent']} without consent and {kept['erased']} erased "
            "left out"
        )
    outcome = train_on(settings, model, dataset)
    with stage(f"registering {model} in MLflow and judging it against the champion and the baselines") as report:
        registration = register(settings, model, dataset, outcome)
        report.notes.append(
            f"version {registration.version.version}: "
            f"{'champion' if registration.verdict.promoted else 'challenger, not promoted'}"
        )
    return TrainedModel(dataset, outcome, registration)
