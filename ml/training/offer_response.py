"""Entry point: will a targeted household redeem a coupon of the campaign? LightGBM against logistic regression.

Channels ``targeted``, ``campaigns``, ``redemptions``, ``lines`` and
``demographics`` (columns in ``CHANNELS``) hold every campaign and what
households did. The evaluation is out of time: the latest ``test_campaigns``
campaigns (by start date) are the test set, and the model is fitted only on
campaigns that ended before the first of them started, so no label it learns
from was known after the test began. The trees' size is tuned the same way
one step earlier: fitted on the campaigns that ended before the latest
``validation_campaigns`` of the fitted ones began, judged on those by PR-AUC.
Features come from what was dated before each campaign's start
(``offer_features``).

Reported on the test campaigns: ROC-AUC and PR-AUC of the gradient-boosted
trees and of the logistic-regression baseline, the base rate (a random
ranking's PR-AUC), and the trees' calibration table.

Run as ``python -m ml.training.offer_response --test_campaigns 6 ...`` in SageMaker's script mode.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from ml.training.offer_features import OfferTables, features, labelled_pairs, top_departments
from ml.training.script_mode import (
    HyperparameterParser,
    TrainingEnvironment,
    TrainingInputError,
    positive_int,
    positive_ints,
    run,
)

CHANNELS = {
    "targeted": ("household_id", "campaign_id"),
    "campaigns": ("campaign_id", "campaign_type", "start_date", "end_date"),
    "redemptions": ("household_id", "campaign_id", "redeemed_on"),
    "lines": ("household_id", "basket_id", "sales_value", "transaction_at", "department"),
    "demographics": ("household_id", "age", "income", "household_size", "kids_count"),
}
MODEL_FILE = "offer_response.txt"
FEATURES_FILE = "features.json"
CALIBRATION_BINS = 10
ROC_POINTS = 101
"""The ROC curve kept in the metrics: the true-positive rate at evenly spaced false-positive rates."""


def hyperparameters(argv: Sequence[str]) -> argparse.Namespace:
    parser = HyperparameterParser(prog="offer_response")
    parser.add_argument("--test_campaigns", type=positive_int, default=6, help="the latest campaigns, held out")
    parser.add_argument("--validation_campaigns", type=positive_int, default=4, help="the latest fitted ones")
    parser.add_argument("--num_leaves", type=positive_ints, default=[4, 7, 15], help="tuned on validation")
    parser.add_argument("--learning_rate", type=float, default=0.03)
    parser.add_argument("--rounds", type=positive_int, default=300)
    parser.add_argument("--min_child_samples", type=positive_int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def read_tables(environment: TrainingEnvironment) -> OfferTables:
    frames = {name: environment.read_channel(name, columns).to_pandas() for name, columns in CHANNELS.items()}
    return OfferTables(**frames)


def out_of_time_split(pairs: pd.DataFrame, held_out: int, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fitted, held out): the latest ``held_out`` campaigns, and the campaigns that ended before they began."""
    starts = pairs.groupby("campaign_id")["start_date"].first().sort_values()
    if held_out >= starts.size:
        raise TrainingInputError(
            f"hyperparameter {name}_campaigns: {held_out} leaves no campaign to fit on ({starts.size} campaigns)"
        )
    first_held_out = starts.iloc[-held_out]
    parts = {"fitted": pairs[pairs["end_date"] < first_held_out], name: pairs[pairs["start_date"] >= first_held_out]}
    for part_name, part in parts.items():
        if part["redeemed"].nunique() < 2:
            raise TrainingInputError(
                f"the {part_name} campaigns ({part['campaign_id'].nunique()}, {name} from "
                f"{first_held_out:%Y-%m-%d}) need both households that redeemed and households that did not"
            )
    return parts["fitted"], parts[name]


def gradient_boosted(options: argparse.Namespace, num_leaves: int) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(
        n_estimators=options.rounds,
        learning_rate=options.learning_rate,
        num_leaves=num_leaves,
        min_child_samples=options.min_child_samples,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        random_state=options.seed,
        n_jobs=1,
        verbose=-1,
    )


def logistic_baseline() -> Pipeline:
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=2000))


def calibration_table(labels: npt.NDArray[np.int8], scores: npt.NDArray[np.float64]) -> list[dict[str, float]]:
    """Households in equal-sized bins of predicted probability: the mean prediction beside the observed rate."""
    order = np.argsort(scores, kind="stable")
    return [
        {
            "households": int(part.size),
            "predicted": float(scores[part].mean()),
            "observed": float(labels[part].mean()),
        }
        for part in np.array_split(order, CALIBRATION_BINS)
        if part.size
    ]


def roc_points(labels: npt.NDArray[np.int8], scores: npt.NDArray[np.float64]) -> dict[str, list[float]]:
    false_positive, true_positive, _ = roc_curve(labels, scores)
    grid = np.linspace(0.0, 1.0, ROC_POINTS)
    return {"fpr": grid.tolist(), "tpr": np.interp(grid, false_positive, true_positive).tolist()}


def scored(labels: npt.NDArray[np.int8], scores: npt.NDArray[np.float64]) -> dict[str, float]:
    return {"roc_auc": float(roc_auc_score(labels, scores)), "pr_auc": float(average_precision_score(labels, scores))}


def train(environment: TrainingEnvironment, argv: Sequence[str]) -> None:
    options = hyperparameters(argv)
    started = time.perf_counter()
    tables = read_tables(environment)
    pairs = labelled_pairs(tables)
    fitted, test = out_of_time_split(pairs, options.test_campaigns, "test")
    departments = top_departments(tables.lines)
    every_pair = features(tables, pairs, departments)
    tuning = _tune(every_pair, fitted, options)
    chosen = max(options.num_leaves, key=lambda leaves: (tuning[leaves], -leaves))
    fitted_features, test_features = every_pair.loc[fitted.index], every_pair.loc[test.index]
    fitted_labels = fitted["redeemed"].to_numpy()
    test_labels = test["redeemed"].to_numpy()

    trees = gradient_boosted(options, chosen).fit(fitted_features, fitted_labels)
    baseline = logistic_baseline()
    baseline.fit(fitted_features, fitted_labels)
    tree_scores = np.asarray(trees.predict_proba(test_features))[:, 1]
    baseline_scores = np.asarray(baseline.predict_proba(test_features))[:, 1]

    trees.booster_.save_model(str(environment.model_dir / MODEL_FILE))
    (environment.model_dir / FEATURES_FILE).write_text(
        json.dumps({"features": list(fitted_features.columns), "departments": departments}, indent=2)
    )
    results = {
        "lightgbm": scored(test_labels, tree_scores),
        "logistic_regression": scored(test_labels, baseline_scores),
    }
    environment.write_metrics(
        {
            "test": results,
            "base_rate": float(test_labels.mean()),
            "calibration": calibration_table(test_labels, tree_scores),
            "roc": {
                "lightgbm": roc_points(test_labels, tree_scores),
                "logistic_regression": roc_points(test_labels, baseline_scores),
            },
            "campaigns": {
                "fitted": sorted(int(campaign) for campaign in fitted["campaign_id"].unique()),
                "test": sorted(int(campaign) for campaign in test["campaign_id"].unique()),
            },
            "pairs": {"fitted": len(fitted), "test": len(test)},
            "validation_pr_auc": {str(leaves): value for leaves, value in tuning.items()},
            "chosen": {"num_leaves": chosen, "rounds": options.rounds, "learning_rate": options.learning_rate},
            "features": list(fitted_features.columns),
            "seconds": {"total": time.perf_counter() - started},
        }
    )
    for name, metrics in results.items():
        print(f"test:{name}:roc_auc={metrics['roc_auc']:.4f} test:{name}:pr_auc={metrics['pr_auc']:.4f}")
    print(f"test:base_rate={test_labels.mean():.4f}")


def _tune(every_pair: pd.DataFrame, fitted: pd.DataFrame, options: argparse.Namespace) -> dict[int, float]:
    """Validation PR-AUC per tree size, fitted on the campaigns that ended before the validation campaigns began.

    ``every_pair`` holds the features of every labelled pair, indexed as the pairs are: a pair's features
    depend on that pair alone, so they are computed once and sliced."""
    earlier, validation = out_of_time_split(fitted, options.validation_campaigns, "validation")
    earlier_features, validation_features = every_pair.loc[earlier.index], every_pair.loc[validation.index]
    labels = validation["redeemed"].to_numpy()
    tuning = {}
    for leaves in options.num_leaves:
        trees = gradient_boosted(options, leaves).fit(earlier_features, earlier["redeemed"].to_numpy())
        tuning[leaves] = scored(labels, np.asarray(trees.predict_proba(validation_features))[:, 1])["pr_auc"]
    return tuning


def main() -> None:
    run(train)


if __name__ == "__main__":
    main()
