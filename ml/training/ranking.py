"""Top-k ranking metrics of recommendations against what each household went on to buy."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

METRICS = ("precision", "recall", "ndcg", "map")


def ranking_metrics(recommended: npt.NDArray[np.int64], bought: sp.csr_matrix, k: int) -> dict[str, float]:
    """Mean precision, recall, NDCG and MAP at ``k`` over the households (rows), and catalogue coverage.

    ``recommended`` holds each household's item indices, best first (at least
    ``k`` columns); ``bought`` marks the items each household bought in the
    weeks judged, and every household in it bought at least one. Coverage is
    the share of the catalogue (``bought``'s columns) recommended to anyone.
    """
    top = recommended[:, :k]
    households = top.shape[0]
    if households == 0:
        raise ValueError("no household to evaluate")
    relevant = np.asarray(bought.getnnz(axis=1), dtype=np.float64)
    if (relevant == 0).any():
        raise ValueError("every evaluated household must have bought something in the judged weeks")
    rows = np.repeat(np.arange(households), k)
    hits = (np.asarray(bought[rows, top.ravel()]).reshape(households, k) > 0).astype(np.float64)
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
