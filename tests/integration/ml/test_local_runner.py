"""The recommender's entry point run by the local runner as SageMaker would run it, on real Complete Journey lines."""

from __future__ import annotations

import json
import signal
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ml.jobs import TrainingJob
from ml.local_runner import TrainingJobFailedError, TrainingOutcome, run_locally
from ml.training.ranking import METRICS
from tests.ml_channels import transaction_lines, write_channels

pytestmark = pytest.mark.integration

SAMPLE_HOUSEHOLDS = 200
SEED = 7
BASELINES = ("popularity", "popularity_by_retailer", "item_item", "buy_again")


@pytest.fixture(scope="module")
def sample_lines() -> pa.Table:
    return transaction_lines(SAMPLE_HOUSEHOLDS, SEED)


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory, sample_lines: pa.Table) -> dict[str, Path]:
    return write_channels(tmp_path_factory.mktemp("datasets"), sample_lines)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, channels: dict[str, Path]) -> TrainingOutcome:
    job = TrainingJob("recommend-sample", "recommend", channels, {"factors": "16,32", "repeat_weights": "0,2", "k": 10})
    return run_locally(job, tmp_path_factory.mktemp("jobs"))


def test_the_job_folder_is_sagemakers_opt_ml_layout(trained: TrainingOutcome) -> None:
    config = trained.job_dir / "input" / "config"
    assert json.loads((config / "hyperparameters.json").read_text()) == {
        "factors": "16,32",
        "repeat_weights": "0,2",
        "k": "10",
    }
    assert sorted(json.loads((config / "inputdataconfig.json").read_text())) == ["test", "train", "validation"]
    for channel in ("train", "validation", "test"):
        assert list((trained.job_dir / "input" / "data" / channel).glob("*.parquet")), channel
    assert (trained.job_dir / "code" / "ml" / "training" / "recommend.py").is_file()
    assert not (trained.job_dir / "code" / "ml" / "local_runner.py").exists(), "only the training code is shipped"
    assert not (trained.job_dir / "output" / "failure").exists()


def test_the_model_is_packed_as_model_tar_gz_with_a_factor_per_household_and_product(
    trained: TrainingOutcome, tmp_path: Path
) -> None:
    with tarfile.open(trained.model_artifact) as archive:
        assert archive.getnames() == ["recommender.npz"]
        archive.extractall(tmp_path, filter="data")
    model = np.load(tmp_path / "recommender.npz")
    assert model["household_factors"].shape[0] == model["household_id"].size
    assert model["product_factors"].shape[0] == model["product_id"].size
    assert model["household_factors"].shape[1] == trained.metrics["chosen"]["factors"]
    assert set(model["most_bought"]) <= set(model["product_id"])
    assert float(model["repeat_weight"]) == trained.metrics["chosen"]["repeat_weight"]
    assert model["repeats_indptr"].size == model["household_id"].size + 1


def test_the_test_weeks_judge_the_model_and_every_baseline_on_every_metric(trained: TrainingOutcome) -> None:
    metrics = trained.metrics
    assert (metrics["chosen"]["factors"], metrics["chosen"]["repeat_weight"]) in {(16, 0), (16, 2), (32, 0), (32, 2)}
    assert set(metrics["validation_ndcg"]) == {
        f"factors={factors},repeat_weight={weight}" for factors in (16, 32) for weight in (0, 2)
    }
    assert set(metrics["test"]) == {"als", *BASELINES}
    for model, values in metrics["test"].items():
        assert set(values) == {*METRICS, "coverage"}, model
        assert all(0.0 <= value <= 1.0 for value in values.values()), (model, values)
    assert 0 < metrics["households"]["judged"] <= metrics["households"]["fitted"] <= SAMPLE_HOUSEHOLDS
    assert set(metrics["anchor_precision_at_5"]) == {"als", "popularity", "item_item"}


def test_the_model_beats_popularity_by_a_fifth_on_precision_at_10_and_item_item_on_ndcg(
    trained: TrainingOutcome,
) -> None:
    test = trained.metrics["test"]
    assert test["als"]["precision"] >= 1.2 * test["popularity"]["precision"], test
    assert test["als"]["ndcg"] > test["item_item"]["ndcg"], test


def _with_bad_channel(folder: Path, lines: pa.Table, channel: str, bad: pa.Table) -> dict[str, Path]:
    channels = write_channels(folder, lines)
    pq.write_table(bad, channels[channel] / "part-0.parquet")
    return channels


@pytest.mark.parametrize(
    ("channel", "cut", "reason"),
    [
        ("validation", lambda lines: lines.slice(0, 0), "channel 'validation': no rows in 1 file(s)"),
        ("train", lambda lines: lines.drop_columns(["retailer_id"]), "channel 'train': column retailer_id missing"),
    ],
    ids=["a channel with no rows", "a missing column"],
)
def test_bad_channel_input_fails_the_job_in_one_line_and_packs_no_model(
    tmp_path: Path, sample_lines: pa.Table, channel: str, cut: Callable[[pa.Table], pa.Table], reason: str
) -> None:
    channels = _with_bad_channel(tmp_path / "datasets", sample_lines, channel, cut(sample_lines))
    job = TrainingJob("bad-input", "recommend", channels, {"factors": "8"})

    with pytest.raises(TrainingJobFailedError) as failed:
        run_locally(job, tmp_path / "jobs")

    message = str(failed.value)
    assert message.startswith(f"training job bad-input failed: {reason}"), message
    assert "\n" not in message
    assert not (tmp_path / "jobs" / "bad-input" / "output" / "model.tar.gz").exists()


def test_a_hyperparameter_of_the_wrong_type_fails_naming_it(tmp_path: Path, channels: dict[str, Path]) -> None:
    job = TrainingJob("bad-hyperparameter", "recommend", channels, {"factors": "many"})

    with pytest.raises(
        TrainingJobFailedError,
        match=r"hyperparameter: argument --factors: 'many' is not a comma-separated list of positive integers",
    ):
        run_locally(job, tmp_path / "jobs")


def test_a_training_process_that_dies_fails_naming_the_signal(tmp_path: Path, channels: dict[str, Path]) -> None:
    job = TrainingJob("killed", "recommend", channels, {"factors": "16,32,64,128"})
    failure: list[BaseException] = []

    def train() -> None:
        try:
            run_locally(job, tmp_path / "jobs")
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            failure.append(error)

    runner = threading.Thread(target=train)
    runner.start()
    entry_point = None
    while entry_point is None and runner.is_alive():
        entry_point = next(
            (child for child in psutil.Process().children() if "ml.training.recommend" in child.cmdline()), None
        )
        time.sleep(0.05)
    assert entry_point is not None, "the entry point never started"
    entry_point.send_signal(signal.SIGKILL)
    runner.join()

    assert len(failure) == 1 and isinstance(failure[0], TrainingJobFailedError), failure
    assert "failed: the training process was ended by SIGKILL" in str(failure[0])
    assert not (tmp_path / "jobs" / "killed" / "output" / "model.tar.gz").exists()
