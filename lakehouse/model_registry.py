"""The model registry: every training run logged to MLflow, each new version judged, the best one the champion.

Tracking and registry share one store: SQLite under ``<data_dir>/ml/`` by
default, or the tracking server ``MLFLOW_TRACKING_URI`` names (SageMaker's
managed MLflow among them). A run logs the job's chosen hyperparameters, the
test metrics of the model and of each baseline, the dataset's version and the
Delta versions it was cut from, the PII policy's version and the training
code's digest; the packed model, its metrics and the dataset's manifest are
the run's artifacts, and the model becomes a new version of the registered
model ``retail-<model>``.

A version is promoted (the registry alias ``champion``) only when the judge of
``lakehouse.model_promotion`` says so: every bar against the baselines of its
own run cleared, and the current champion beaten on the primary metric.
Otherwise it stays a challenger, the champion keeps serving, and the version's
``verdict`` tag says why.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Metric, Param
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

from lakehouse.ml_datasets import MANIFEST_FILE, Dataset
from lakehouse.model_promotion import PROMOTION, RegisteredVersion, Verdict, judge, registered_name
from lakehouse.settings import Settings
from ml.jobs import Model
from ml.local_runner import TrainingOutcome
from ml.training.script_mode import METRICS_FILE
from ml.training_code import code_digest

logger = logging.getLogger(__name__)
logging.getLogger("mlflow").setLevel(logging.WARNING)
"""MLflow prints its store's schema migrations at INFO through a handler of its own; its warnings still show."""
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
"""A bar per downloaded file would break the command line's stage lines; the stage says what is being fetched."""

CHAMPION = "champion"
VERDICT_TAG = "verdict"


@dataclass(frozen=True)
class Registration:
    version: RegisteredVersion
    verdict: Verdict
    previous_champion: RegisteredVersion | None


def tracking_uri(settings: Settings) -> str:
    return settings.mlflow_tracking_uri or f"sqlite:///{(settings.data_dir / 'ml' / 'mlflow.db').resolve()}"


def _client(settings: Settings) -> MlflowClient:
    if not settings.mlflow_tracking_uri:
        (settings.data_dir / "ml").mkdir(parents=True, exist_ok=True)
    uri = tracking_uri(settings)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _experiment_id(client: MlflowClient, settings: Settings, model: Model) -> str:
    name = registered_name(model)
    if (experiment := client.get_experiment_by_name(name)) is not None:
        return str(experiment.experiment_id)
    artifacts = None if settings.mlflow_tracking_uri else (settings.data_dir / "ml" / "mlruns").resolve().as_uri()
    return str(client.create_experiment(name, artifact_location=artifacts))


def _flattened(values: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The numbers of a nested mapping by dotted path (lists and text left out), in the characters MLflow allows
    in a metric's name (``factors=64,repeat_weight=4`` becomes ``factors_64_repeat_weight_4``)."""
    flat: dict[str, float] = {}
    for key, value in values.items():
        path = re.sub(r"[^\w\-. :/]", "_", f"{prefix}.{key}" if prefix else str(key))
        if isinstance(value, Mapping):
            flat |= _flattened(value, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[path] = float(value)
    return flat


def _version_of(client: MlflowClient, model: Model, version: ModelVersion, champion: int | None) -> RegisteredVersion:
    run = client.get_run(str(version.run_id))
    return RegisteredVersion(
        model=model,
        version=int(version.version),
        run_id=str(version.run_id),
        created_at=datetime.fromtimestamp(int(version.creation_timestamp) / 1000, UTC),
        champion=int(version.version) == champion,
        verdict=str((version.tags or {}).get(VERDICT_TAG, "")),
        dataset_version=str(run.data.params.get("dataset_version", "")),
        primary=float(run.data.metrics[PROMOTION[model].primary]),
        source=str(version.source),
    )


def _champion_number(client: MlflowClient, model: Model) -> int | None:
    """The version the ``champion`` alias points at (from the registered model: a search leaves aliases out)."""
    try:
        aliases = client.get_registered_model(registered_name(model)).aliases
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return None
        raise
    return int(aliases[CHAMPION]) if CHAMPION in aliases else None


def _current_champion(client: MlflowClient, model: Model) -> RegisteredVersion | None:
    if (number := _champion_number(client, model)) is None:
        return None
    return _version_of(client, model, client.get_model_version(registered_name(model), str(number)), number)


def _ensure_registered_model(client: MlflowClient, model: Model) -> None:
    try:
        client.get_registered_model(registered_name(model))
    except MlflowException as error:
        if error.error_code != ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise
        client.create_registered_model(registered_name(model), description=f"ml.training.{model}, trained on the lake")


def register(settings: Settings, model: Model, dataset: Dataset, outcome: TrainingOutcome) -> Registration:
    """Log the training run, register its model as a new version, and promote it if it earns it."""
    client = _client(settings)
    experiment = _experiment_id(client, settings, model)
    manifest = dataset.manifest
    params = {
        "job_name": outcome.job_dir.name,
        "dataset_version": manifest.version,
        "dataset_folder": str(dataset.folder),
        "policy_version": str(manifest.policy_version),
        "code_digest": code_digest(),
        **{f"delta_version.{table}": str(version) for table, version in manifest.delta_versions.items()},
        **{f"chosen.{key}": str(value) for key, value in outcome.metrics.get("chosen", {}).items()},
    }
    now = int(datetime.now(UTC).timestamp() * 1000)
    metrics = _flattened(outcome.metrics)
    run = client.create_run(experiment, run_name=outcome.job_dir.name, tags={"model": model})
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(key, value, now, 0) for key, value in sorted(metrics.items())],
        params=[Param(key, value) for key, value in sorted(params.items())],
    )
    for artifact in (
        outcome.model_artifact,
        outcome.job_dir / "output" / "data" / METRICS_FILE,
        dataset.folder / MANIFEST_FILE,
    ):
        client.log_artifact(run_id, str(artifact))
    client.set_terminated(run_id)

    champion = _current_champion(client, model)
    verdict = judge(model, outcome.metrics, champion)
    _ensure_registered_model(client, model)
    created = client.create_model_version(
        registered_name(model),
        f"{run.info.artifact_uri}/{Path(outcome.model_artifact).name}",
        run_id=run_id,
        tags={VERDICT_TAG: verdict.text, "dataset_version": manifest.version},
    )
    if verdict.promoted:
        client.set_registered_model_alias(registered_name(model), CHAMPION, created.version)
    logger.debug(
        "%s version %s %s: %s",
        registered_name(model),
        created.version,
        "promoted to champion" if verdict.promoted else "kept as a challenger",
        verdict.text,
    )
    stored = client.get_model_version(registered_name(model), created.version)
    version = _version_of(client, model, stored, _champion_number(client, model))
    return Registration(version, verdict, champion)


def versions(settings: Settings, model: Model) -> list[RegisteredVersion]:
    """Every registered version of ``model``, the newest first."""
    client = _client(settings)
    found = client.search_model_versions(f"name = '{registered_name(model)}'")
    number = _champion_number(client, model)
    return sorted((_version_of(client, model, version, number) for version in found), key=lambda v: -v.version)


def champion(settings: Settings, model: Model) -> RegisteredVersion | None:
    return _current_champion(_client(settings), model)


def unpacked_model(settings: Settings, version: RegisteredVersion) -> Path:
    """The version's ``model.tar.gz`` fetched from its run's artifacts and unpacked, once, under ``data/ml/models``.

    The folder is named by the run, not the version number: a registry started afresh numbers from 1 again."""
    folder = settings.data_dir / "ml" / "models" / registered_name(version.model) / version.run_id
    if folder.is_dir():
        return folder
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    packed = _client(settings).download_artifacts(version.run_id, Path(version.source).name, str(staging))
    with tarfile.open(packed) as archive:
        archive.extractall(staging / "model", filter="data")
    shutil.move(staging / "model", folder)
    shutil.rmtree(staging)
    return folder


def version_metrics(settings: Settings, version: RegisteredVersion) -> dict[str, Any]:
    """The metrics file the version's training job wrote, from its run's artifacts."""
    with tempfile.TemporaryDirectory() as folder:
        local = _client(settings).download_artifacts(version.run_id, METRICS_FILE, folder)
        return dict(json.loads(Path(local).read_text()))
