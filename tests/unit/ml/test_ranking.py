"""Ranking metrics on a case small enough to work out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from ml.training.ranking import ranking_metrics


def test_each_metric_matches_its_hand_worked_value() -> None:
    bought = sp.csr_matrix(np.array([[1, 0, 1, 0, 0], [0, 0, 0, 1, 0]], dtype=np.float32))
    recommended = np.array([[2, 1, 0], [0, 1, 2]], dtype=np.int64)

    metrics = ranking_metrics(recommended, bought, k=3)

    first_ndcg = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert metrics["precision"] == pytest.approx((2 / 3 + 0) / 2)
    assert metrics["recall"] == pytest.approx((1 + 0) / 2)
    assert metrics["ndcg"] == pytest.approx((first_ndcg + 0) / 2)
    assert metrics["map"] == pytest.approx(((1 + 2 / 3) / 2 + 0) / 2)
    assert metrics["coverage"] == pytest.approx(3 / 5)


def test_only_the_first_k_recommendations_count() -> None:
    bought = sp.csr_matrix(np.array([[0, 0, 1]], dtype=np.float32))

    assert ranking_metrics(np.array([[0, 1, 2]]), bought, k=2)["precision"] == 0.0
    assert ranking_metrics(np.array([[0, 1, 2]]), bought, k=3)["recall"] == 1.0


def test_a_household_that_bought_nothing_cannot_be_judged() -> None:
    bought = sp.csr_matrix(np.array([[1, 0], [0, 0]], dtype=np.float32))

    with pytest.raises(ValueError, match="must have bought something"):
        ranking_metrics(np.array([[0, 1], [1, 0]]), bought, k=2)
