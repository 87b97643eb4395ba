"""The offer-response entry point run by the local runner as SageMaker would run it, on every Complete Journey
campaign: out of time, against logistic regression and the base rate, and free of leaks."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import average_precision_score

from ml.jobs import TrainingJob
from ml.local_runner import TrainingJobFailedError, TrainingOutcome, run_locally
from ml.training.offer_features import features, labelled_pairs, top_departments
from ml.training.offer_response import (
    CALIBRATION_BINS,
    FEATURES_FILE,
    MODEL_FILE,
    gradient_boosted,
    hyperparameters,
    out_of_time_split,
    read_tables,
)
from ml.training.script_mode import TrainingEnvironment
from tests.ml_channels import offer_channels

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return offer_channels(tmp_path_factory.mktemp("datasets"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, channels: dict[str, Path]) -> TrainingOutcome:
    return run_locally(TrainingJob("offers", "offer_response", channels, {}), tmp_path_factory.mktemp("jobs"))


def test_the_latest_campaigns_judge_models_fitted_on_campaigns_that_ended_before_them(
    trained: TrainingOutcome, channels: dict[str, Path]
) -> None:
    campaigns = pq.read_table(channels["campaigns"]).to_pandas().set_index("campaign_id")
    fitted, test = trained.metrics["campaigns"]["fitted"], trained.metrics["campaigns"]["test"]

    assert len(test) == 6
    assert campaigns.loc[fitted, "end_date"].max() < campaigns.loc[test, "start_date"].min()
    later = campaigns.drop(index=test)["start_date"].max()
    assert later < campaigns.loc[test, "start_date"].min(), "the test campaigns are the latest to start"
    assert set(trained.metrics["validation_pr_auc"]) == {"4", "7", "15"}
    assert str(trained.metrics["chosen"]["num_leaves"]) in trained.metrics["validation_pr_auc"]


def test_both_models_rank_redeemers_above_the_base_rate_and_the_trees_beat_the_baseline_on_pr_auc(
    trained: TrainingOutcome,
) -> None:
    test, base_rate = trained.metrics["test"], trained.metrics["base_rate"]

    assert 0.05 < base_rate < 0.3
    for model in ("lightgbm", "logistic_regression"):
        assert test[model]["roc_auc"] > 0.7, test
        assert test[model]["pr_auc"] > 2 * base_rate, test
    assert test["lightgbm"]["pr_auc"] > test["logistic_regression"]["pr_auc"], test


def test_the_calibration_table_covers_every_test_pair_in_rising_bins(trained: TrainingOutcome) -> None:
    bins = trained.metrics["calibration"]

    assert len(bins) == CALIBRATION_BINS
    assert sum(part["households"] for part in bins) == trained.metrics["pairs"]["test"]
    predicted = [part["predicted"] for part in bins]
    assert predicted == sorted(predicted)
    assert bins[-1]["observed"] > 3 * bins[0]["observed"]


def test_the_packed_model_scores_the_features_it_names(trained: TrainingOutcome, tmp_path: Path) -> None:
    with tarfile.open(trained.model_artifact) as archive:
        assert sorted(archive.getnames()) == [FEATURES_FILE, MODEL_FILE]
        archive.extractall(tmp_path, filter="data")
    booster = lgb.Booster(model_file=str(tmp_path / MODEL_FILE))
    named = json.loads((tmp_path / FEATURES_FILE).read_text())

    assert booster.feature_name() == named["features"] == trained.metrics["features"]
    scores = np.asarray(booster.predict(np.zeros((3, len(named["features"])))))
    assert scores.shape == (3,) and ((scores > 0) & (scores < 1)).all()


def test_a_feature_window_moved_past_the_campaign_start_would_leak_the_answer(channels: dict[str, Path]) -> None:
    """The honest features score well below what the campaign's own weeks would give away: the pipeline reads
    nothing from the start on (the unit tests pin that row by row), and this shows the leak it keeps out."""
    environment = TrainingEnvironment(channels, Path("/nonexistent"), Path("/nonexistent"), Path("/nonexistent"))
    tables = read_tables(environment)
    fitted, test = out_of_time_split(labelled_pairs(tables), 6, "test")
    departments = top_departments(tables.lines)

    def test_pr_auc(shift: pd.Timedelta) -> float:
        model = gradient_boosted(hyperparameters([]), 7)
        model.fit(features(tables, fitted, departments, shift), fitted["redeemed"])
        scores = np.asarray(model.predict_proba(features(tables, test, departments, shift)))[:, 1]
        return float(average_precision_score(test["redeemed"], scores))

    honest, leaked = test_pr_auc(pd.Timedelta(0)), test_pr_auc(pd.Timedelta(days=42))
    assert leaked > honest + 0.1, (honest, leaked)


@pytest.mark.parametrize(
    ("channel", "columns", "reason"),
    [
        ("redemptions", None, "channel 'redemptions': no rows in 1 file(s)"),
        (
            "demographics",
            ["household_id", "age"],
            "channel 'demographics': column income, household_size, kids_count missing",
        ),
    ],
    ids=["a channel with no rows", "a missing feature column"],
)
def test_bad_channel_input_fails_the_job_in_one_line_and_packs_no_model(
    tmp_path: Path, channels: dict[str, Path], channel: str, columns: list[str] | None, reason: str
) -> None:
    broken = dict(channels)
    original = pq.read_table(channels[channel])
    (tmp_path / channel).mkdir()
    pq.write_table(
        original.slice(0, 0) if columns is None else original.select(columns), tmp_path / channel / "part-0.parquet"
    )
    broken[channel] = tmp_path / channel

    with pytest.raises(TrainingJobFailedError) as failed:
        run_locally(TrainingJob("bad-offers", "offer_response", broken, {}), tmp_path / "jobs")

    message = str(failed.value)
    assert message.startswith(f"training job bad-offers failed: {reason}"), message
    assert "\n" not in message
    assert not (tmp_path / "jobs" / "bad-offers" / "output" / "model.tar.gz").exists()


def test_holding_out_every_campaign_fails_naming_the_hyperparameter(tmp_path: Path, channels: dict[str, Path]) -> None:
    job = TrainingJob("all-held-out", "offer_response", channels, {"test_campaigns": 27})

    with pytest.raises(TrainingJobFailedError, match=r"hyperparameter test_campaigns: 27 leaves no campaign to fit on"):
        run_locally(job, tmp_path / "jobs")
