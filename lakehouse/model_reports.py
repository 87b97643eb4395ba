"""Pictures of a trained model beside its baselines, drawn from the metrics its training job wrote.

The recommender's precision at 1..k for the model and every baseline, and the
offer model's ROC curves for the trees and the logistic-regression baseline,
each on the test weeks or campaigns the model was never tuned on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ml.jobs import Model

LABELS = {
    "als": "model: ALS + repeat purchases",
    "buy_again": "buy it again",
    "item_item": "item-item (BM25)",
    "popularity": "popularity",
    "popularity_by_retailer": "popularity at home retailer",
    "lightgbm": "model: LightGBM",
    "logistic_regression": "logistic regression",
}


def _precision_at_k(axes: Axes, metrics: Mapping[str, Any]) -> None:
    for name, curve in sorted(metrics["precision_at"].items(), key=lambda item: -item[1][-1]):
        ranks = range(1, len(curve) + 1)
        axes.plot(ranks, curve, marker="o", linewidth=2.5 if name == "als" else 1.2, label=LABELS.get(name, name))
    axes.set_xlabel("k (recommendations shown)")
    axes.set_ylabel("precision@k on the test weeks")
    axes.set_title(f"Next-basket recommendations: {metrics['households']['judged']:,} households judged")
    axes.set_ylim(bottom=0)


def _roc(axes: Axes, metrics: Mapping[str, Any]) -> None:
    for name, curve in metrics["roc"].items():
        auc = metrics["test"][name]["roc_auc"]
        axes.plot(curve["fpr"], curve["tpr"], linewidth=2.5 if name == "lightgbm" else 1.2,
                  label=f"{LABELS.get(name, name)} (AUC {auc:.3f})")  # fmt: skip
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="random")
    axes.set_xlabel("false-positive rate")
    axes.set_ylabel("true-positive rate")
    axes.set_title(f"Offer response on the {len(metrics['campaigns']['test'])} latest campaigns (out of time)")


DRAWINGS: Mapping[Model, tuple[str, Callable[[Axes, Mapping[str, Any]], None]]] = {
    "recommend": ("precision_at_k.png", _precision_at_k),
    "offer_response": ("roc_curve.png", _roc),
}


def draw_report(model: Model, metrics: Mapping[str, Any], folder: Path) -> Path:
    """Draw ``model``'s picture from its job's metrics into ``folder``; returns the PNG's path."""
    name, draw = DRAWINGS[model]
    figure = Figure(figsize=(7.5, 4.8), dpi=110, layout="tight")
    axes = figure.subplots()
    draw(axes, metrics)
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize="small")
    folder.mkdir(parents=True, exist_ok=True)
    figure.savefig(folder / name)
    return folder / name
