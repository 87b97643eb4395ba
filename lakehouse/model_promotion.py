"""When a new model version replaces the champion: the bars each model sets against its baselines, and the judge.

Every bar and the champion comparison use the test weeks or campaigns the
version was never tuned on; the verdict keeps every reason, passed or not, so a
version that stays a challenger says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ml.jobs import Model


class NoChampionError(RuntimeError):
    """No version of the model has been promoted, so nothing may score."""


def registered_name(model: Model) -> str:
    """The model's name in the registry."""
    return f"retail-{model.replace('_', '-')}"


@dataclass(frozen=True)
class Bar:
    """A bar a new version must clear: its ``metric`` above ``factor`` times the ``baseline`` of the same run."""

    metric: str
    baseline: str
    factor: float = 1.0


@dataclass(frozen=True)
class PromotionRule:
    primary: str
    """The metric a challenger must raise above the champion's."""
    bars: tuple[Bar, ...]


PROMOTION: Mapping[Model, PromotionRule] = {
    "recommend": PromotionRule(
        primary="test.als.ndcg",
        bars=(Bar("test.als.precision", "test.popularity.precision", 1.2), Bar("test.als.ndcg", "test.item_item.ndcg")),
    ),
    "offer_response": PromotionRule(
        primary="test.lightgbm.pr_auc",
        bars=(Bar("test.lightgbm.pr_auc", "test.logistic_regression.pr_auc"), Bar("test.lightgbm.pr_auc", "base_rate")),
    ),
}
"""The issue's targets: the recommender 20% above popularity on precision@10 and above item-item on NDCG@10; the
offer model above logistic regression and the base rate on PR-AUC (a random ranking's PR-AUC is the base rate)."""


@dataclass(frozen=True)
class Verdict:
    promoted: bool
    reasons: list[str]

    @property
    def text(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class RegisteredVersion:
    model: Model
    version: int
    run_id: str
    created_at: datetime
    champion: bool
    verdict: str
    dataset_version: str
    primary: float
    source: str


def metric_at(metrics: Mapping[str, Any], path: str) -> float:
    """The number at a dotted path of a job's metrics, such as ``test.als.ndcg``."""
    value: Any = metrics
    for part in path.split("."):
        value = value[part]
    return float(value)


def judge(model: Model, metrics: Mapping[str, Any], champion: RegisteredVersion | None) -> Verdict:
    """Whether a version with these test metrics replaces ``champion``, and every reason, passed or not."""
    rule = PROMOTION[model]
    reasons, cleared = [], True
    for bar in rule.bars:
        value, floor = metric_at(metrics, bar.metric), bar.factor * metric_at(metrics, bar.baseline)
        passed = value > floor
        cleared &= passed
        times = f"{bar.factor:g} x " if bar.factor != 1 else ""
        relation = ">" if passed else "is not above"
        reasons.append(f"{bar.metric} {value:.4f} {relation} {times}{bar.baseline} ({floor:.4f})")
    primary = metric_at(metrics, rule.primary)
    if champion is None:
        reasons.append("no champion yet")
    else:
        beaten = primary > champion.primary
        cleared &= beaten
        relation = ">" if beaten else "is not above"
        reasons.append(
            f"{rule.primary} {primary:.4f} {relation} champion version {champion.version} ({champion.primary:.4f})"
        )
    return Verdict(cleared, reasons)
