"""Top-k ranking metrics of recommendations against what each household went on to buy."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

METRICS = ("precision", "recall", "ndcg", "map")


def _hits(top: npt.NDArray[np.int64], bought: sp.csr_matrix, k: int) -> npt.NDArray[np.float64]:
    """1 where a household's recommendation at that rank was bought in the judged weeks, else 0."""
    households = top.shape[0]
    if households == 0:
        raise ValueError("no household to evaluate")
    if (bought.getnnz(axis=1) == 0).any():
        raise ValueError("every evaluated household must have bought something in the judged weeks")
    rows = np.repeat(np.arange(households), k)
    return (np.asarray(bought[rows, top[:, :k].ravel()]).reshape(households, k) > 0).astype(np.float64)


def precision_curve(recommended: npt.NDArray[np.int64], bought: sp.csr_matrix, k: int) -> list[float]:
    """Mean precision at 1, 2, ... ``k``: the share of each household's first j recommendations it bought."""
    hits = _hits(recommended, bought, k)
    return [float(value) for value in (np.cumsum(hits, axis=1) / np.arange(1, k + 1)).mean(axis=0)]


def ranking_metrics(recommended: npt.NDArray[np.int64], bought: sp.csr_matrix, k: int) -> dict[str, float]:
    """Mean precision, recall, NDCG and MAP at ``k`` over the households (rows), and catalogue coverage.

    ``recommended`` holds each household's item indices, best first (at least
    ``k`` columns); ``bought`` marks the items each household bought in the
    weeks judged, and every household in it bought at least one. Coverage is
    the share of the catalogue (``bought``'s columns) recommended to anyone.
    """
    top = recommended[:, :k]
    hits = _hits(top, bought, k)
    relevant = np.asarray(bought.getnnz(axis=1), dtype=np.float64)
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discount)[np.minimum(relevant, k).astype(np.int64) - 1]
    precision_at_hit = np.cumsum(hits, axis=1) / np.arange(1, k + 1) * hits
    return {
        "precision": float((hits.sum(axis=1) / k).mean()),
        "recall": float((hits.sum(axis=1) / relevant).mean()),
        "ndcg": float(((hits * discount).sum(axis=1) / ideal).mean()),
        "map": float((precision_at_hit.sum(axis=1) / np.minimum(relevant, k)).mean()),
        "coverage": float(np.unique(top).size / bought.shape[1]),
    }
