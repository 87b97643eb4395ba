"""The MLflow registry with a real SQLite store: what a training run records, and who becomes champion.

The jobs are real: the recommender trained by the local runner on 200 households of The Complete Journey.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from mlflow import MlflowClient

from lakehouse.ml_datasets import MANIFEST_FILE, Dataset, DatasetManifest
from lakehouse.model_promotion import registered_name
from lakehouse.model_registry import Registration, champion, register, tracking_uri, versions
from lakehouse.settings import Settings
from ml.jobs import TrainingJob
from ml.local_runner import TrainingOutcome, run_locally
from ml.training_code import code_digest
from tests.ml_channels import transaction_lines, write_channels

pytestmark = pytest.mark.integration

QUICK: dict[str, str | int] = {"factors": "16,32", "repeat_weights": "0,2", "k": 10}
UNDERFITTED: dict[str, str | int] = {"factors": "1", "repeat_weights": "0", "iterations": 1, "k": 10}
"""One factor, one sweep and no repeat purchases: a model no better than popularity."""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    folder = tmp_path_factory.mktemp("datasets") / "recommend" / "sample200"
    folder.mkdir(parents=True)
    channels = write_channels(folder, transaction_lines(200, 7))
    manifest = DatasetManifest(
        model="recommend",
        version="sample200",
        created_at="2026-12-03T00:00:00+00:00",
        channels={name: {"rows": 0, "columns": []} for name in channels},
        delta_versions={"customers": 1, "transactions": 2, "stores": 1},
        policy_version=1,
    )
    (folder / MANIFEST_FILE).write_text(json.dumps(asdict(manifest)))
    return Dataset(folder, manifest, reused=False)


def _train(dataset: Dataset, jobs: Path, name: str, hyperparameters: dict[str, str | int]) -> TrainingOutcome:
    return run_locally(TrainingJob(name, "recommend", dataset.channels, hyperparameters), jobs)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, local_settings: Settings) -> Settings:
    return local_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("registry")})


@pytest.fixture(scope="module")
def registered_twice(
    registry: Settings, dataset: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> tuple[TrainingOutcome, Registration, Registration]:
    """The same well-tuned job registered twice: the first becomes champion, the second only ties it."""
    outcome = _train(dataset, tmp_path_factory.mktemp("jobs"), "recommend-sample200-1", QUICK)
    return outcome, register(registry, "recommend", dataset, outcome), register(registry, "recommend", dataset, outcome)


def test_the_first_version_that_clears_the_bars_becomes_champion(
    registry: Settings, registered_twice: tuple[TrainingOutcome, Registration, Registration]
) -> None:
    outcome, first, _ = registered_twice

    assert first.verdict.promoted, first.verdict.reasons
    assert first.previous_champion is None
    assert first.verdict.reasons[-1] == "no champion yet"
    assert first.version.version == 1
    assert first.version.primary == outcome.metrics["test"]["als"]["ndcg"]


def test_the_run_records_the_dataset_code_metrics_and_artifacts_that_made_the_version(
    registry: Settings, dataset: Dataset, registered_twice: tuple[TrainingOutcome, Registration, Registration]
) -> None:
    outcome, first, _ = registered_twice
    client = MlflowClient(tracking_uri=tracking_uri(registry), registry_uri=tracking_uri(registry))
    run = client.get_run(first.version.run_id)

    assert run.data.params["dataset_version"] == "sample200"
    assert run.data.params["delta_version.transactions"] == "2"
    assert run.data.params["code_digest"] == code_digest()
    assert run.data.params["chosen.factors"] == str(outcome.metrics["chosen"]["factors"])
    for baseline in ("als", "popularity", "popularity_by_retailer", "item_item", "buy_again"):
        assert run.data.metrics[f"test.{baseline}.ndcg"] == outcome.metrics["test"][baseline]["ndcg"], baseline
    assert {artifact.path for artifact in client.list_artifacts(run.info.run_id)} == {
        "model.tar.gz",
        "metrics.json",
        MANIFEST_FILE,
    }
    assert first.version.source.endswith("/model.tar.gz")
    assert Path(client.download_artifacts(run.info.run_id, "model.tar.gz", str(registry.data_dir))).read_bytes() == (
        outcome.model_artifact.read_bytes()
    )


def test_a_version_that_does_not_beat_the_champion_stays_a_challenger_and_says_why(
    registry: Settings, registered_twice: tuple[TrainingOutcome, Registration, Registration]
) -> None:
    _, first, second = registered_twice

    assert not second.verdict.promoted
    assert second.previous_champion == first.version
    assert second.verdict.reasons[-1].endswith(f"is not above champion version 1 ({first.version.primary:.4f})")
    assert [(version.version, version.champion) for version in versions(registry, "recommend")] == [
        (2, False),
        (1, True),
    ]
    assert versions(registry, "recommend")[0].verdict == second.verdict.text
    current = champion(registry, "recommend")
    assert current is not None and current.version == 1


def test_a_model_below_its_baselines_is_never_promoted_even_into_an_empty_registry(
    local_settings: Settings, dataset: Dataset, tmp_path: Path
) -> None:
    empty = local_settings.model_copy(update={"data_dir": tmp_path})
    outcome = _train(dataset, tmp_path / "jobs", "recommend-underfitted", UNDERFITTED)

    registration = register(empty, "recommend", dataset, outcome)

    assert not registration.verdict.promoted
    assert any(" is not above " in reason for reason in registration.verdict.reasons), registration.verdict.reasons
    assert champion(empty, "recommend") is None
    assert [version.version for version in versions(empty, "recommend")] == [1]
    assert registered_name("recommend") == "retail-recommend"
