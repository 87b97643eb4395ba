"""Promotion: a new version becomes champion only above every baseline bar and above the current champion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lakehouse.model_promotion import RegisteredVersion, judge

pytestmark = pytest.mark.unit


def _recommender(als_precision: float, als_ndcg: float) -> dict[str, Any]:
    return {
        "test": {
            "als": {"precision": als_precision, "ndcg": als_ndcg},
            "popularity": {"precision": 0.10, "ndcg": 0.15},
            "item_item": {"precision": 0.20, "ndcg": 0.23},
        }
    }


def _champion(primary: float) -> RegisteredVersion:
    return RegisteredVersion(
        model="recommend",
        version=3,
        run_id="run",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        champion=True,
        verdict="",
        dataset_version="d",
        primary=primary,
        source="s",
    )


def test_the_first_version_above_every_bar_becomes_champion_and_says_why() -> None:
    verdict = judge("recommend", _recommender(0.30, 0.40), None)

    assert verdict.promoted
    assert verdict.reasons == [
        "test.als.precision 0.3000 > 1.2 x test.popularity.precision (0.1200)",
        "test.als.ndcg 0.4000 > test.item_item.ndcg (0.2300)",
        "no champion yet",
    ]


def test_a_version_below_item_item_on_ndcg_is_never_promoted_even_without_a_champion() -> None:
    verdict = judge("recommend", _recommender(0.30, 0.22), None)

    assert not verdict.promoted
    assert "test.als.ndcg 0.2200 is not above test.item_item.ndcg (0.2300)" in verdict.reasons


def test_a_version_that_only_ties_the_champion_stays_a_challenger() -> None:
    verdict = judge("recommend", _recommender(0.30, 0.40), _champion(0.40))

    assert not verdict.promoted
    assert verdict.reasons[-1] == "test.als.ndcg 0.4000 is not above champion version 3 (0.4000)"


def test_a_version_above_the_champion_replaces_it() -> None:
    assert judge("recommend", _recommender(0.30, 0.41), _champion(0.40)).promoted


def test_the_offer_model_must_beat_logistic_regression_and_the_base_rate_on_pr_auc() -> None:
    metrics = {
        "test": {"lightgbm": {"pr_auc": 0.35}, "logistic_regression": {"pr_auc": 0.38}},
        "base_rate": 0.13,
    }

    verdict = judge("offer_response", metrics, None)

    assert not verdict.promoted
    assert verdict.reasons[:2] == [
        "test.lightgbm.pr_auc 0.3500 is not above test.logistic_regression.pr_auc (0.3800)",
        "test.lightgbm.pr_auc 0.3500 > base_rate (0.1300)",
    ]
