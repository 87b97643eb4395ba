"""Entry point: next-basket product recommendations per household, against two baselines trained in the same run.

Channels ``train``, ``validation`` and ``test`` hold transaction lines
(``household_id``, ``product_id``, ``week``, ``retailer_id``) of consecutive
week ranges. The model scores a product for a household with matrix
factorisation (``implicit``'s ALS on BM25-weighted counts of purchase lines)
plus a weight times the household's own repeat purchases of it (log counts);
both parts are scaled to the household's best product first. The factors and
the weight are tuned on validation with models fitted on train; the chosen
setting is refitted on train and validation and judged on the test weeks it
never saw, beside four baselines fitted on the same weeks: popularity
overall, popularity at the household's home retailer, item-item similarity
(``implicit``'s BM25 item-item with its own defaults, the strongest of its
item-item settings on this data), and the household's own most bought
products ("buy it again").

Already-bought products are recommended like any other, and the tuned weight
says how much: most of a grocery basket is bought again, so a household's
staples are the most useful suggestion for its next shop, and the factors
rank what it has not bought among them. A product first sold in the judged
weeks cannot be recommended by any model and does not count as missed.

Run as ``python -m ml.training.recommend --factors 32,64 ...`` in SageMaker's
script mode.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from implicit.als import AlternatingLeastSquares
from implicit.nearest_neighbours import BM25Recommender, bm25_weight
from threadpoolctl import threadpool_limits

from ml.training.ranking import precision_curve, ranking_metrics
from ml.training.script_mode import (
    HyperparameterParser,
    TrainingEnvironment,
    TrainingInputError,
    non_negative_floats,
    positive_int,
    positive_ints,
    run,
)

COLUMNS = ("household_id", "product_id", "week", "retailer_id")
MODEL_FILE = "recommender.npz"
SCORING_BATCH = 256
"""Households scored at once: a batch's dense scores over every product stay within tens of megabytes."""
ANCHOR_HELD_OUT_WEEKS = 3
ANCHOR_K = 5
"""The published anchor's protocol: the last three weeks held out, precision at 5."""


def hyperparameters(argv: Sequence[str]) -> argparse.Namespace:
    parser = HyperparameterParser(prog="recommend")
    parser.add_argument("--factors", type=positive_ints, default=[64, 128], help="tuned on validation")
    parser.add_argument(
        "--repeat_weights", type=non_negative_floats, default=[0.0, 1.0, 4.0], help="tuned on validation"
    )
    parser.add_argument("--regularization", type=float, default=0.05)
    parser.add_argument("--iterations", type=positive_int, default=15)
    parser.add_argument("--bm25_k1", type=float, default=100.0)
    parser.add_argument("--bm25_b", type=float, default=0.8)
    parser.add_argument("--neighbours", type=positive_int, default=100, help="item-item baseline")
    parser.add_argument("--k", type=positive_int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Catalogue:
    """The households and products of the weeks a model is fitted on, as matrix rows and columns."""

    households: npt.NDArray[np.int64]
    products: npt.NDArray[np.int64]

    @classmethod
    def of(cls, lines: pa.Table) -> Catalogue:
        return cls(
            households=np.unique(lines["household_id"].to_numpy()),
            products=np.unique(lines["product_id"].to_numpy()),
        )

    def positions(self, lines: pa.Table) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """The matrix row and column of each line whose household and product the catalogue holds, and which lines
        those are."""
        households = lines["household_id"].to_numpy()
        products = lines["product_id"].to_numpy()
        rows = np.minimum(np.searchsorted(self.households, households), self.households.size - 1)
        columns = np.minimum(np.searchsorted(self.products, products), self.products.size - 1)
        known = (self.households[rows] == households) & (self.products[columns] == products)
        return rows[known], columns[known], known

    def matrix(self, lines: pa.Table) -> sp.csr_matrix:
        """Purchase lines per household and product, for the catalogue's households and products only."""
        rows, columns, _ = self.positions(lines)
        counts = sp.coo_matrix(
            (np.ones(rows.size, np.float32), (rows, columns)), shape=(self.households.size, self.products.size)
        )
        return counts.tocsr()


@dataclass(frozen=True)
class Judged:
    """The households to judge (catalogue rows) and what each bought in the judged weeks."""

    rows: npt.NDArray[np.int64]
    bought: sp.csr_matrix

    @classmethod
    def of(cls, catalogue: Catalogue, lines: pa.Table) -> Judged:
        bought = catalogue.matrix(lines)
        rows = np.flatnonzero(bought.getnnz(axis=1))
        if rows.size == 0:
            raise TrainingInputError("no household of the judged weeks bought a product known from the fitted weeks")
        return cls(rows=rows, bought=bought[rows])


def _weeks(lines: pa.Table, first: int, last: int) -> pa.Table:
    week = lines["week"]
    return lines.filter(pc.and_(pc.greater_equal(week, first), pc.less_equal(week, last)))


def _most_bought(counts: sp.csr_matrix, k: int) -> npt.NDArray[np.int64]:
    """The ``k`` products bought by the most households, best first."""
    households = np.asarray((counts > 0).sum(axis=0)).ravel()
    return np.argsort(-households, kind="stable")[:k].astype(np.int64)


def popularity(counts: sp.csr_matrix, judged: Judged, k: int) -> npt.NDArray[np.int64]:
    return np.tile(_most_bought(counts, k), (judged.rows.size, 1))


def popularity_by_retailer(catalogue: Catalogue, lines: pa.Table, judged: Judged, k: int) -> npt.NDArray[np.int64]:
    """Each household gets the most bought products of its home retailer (where it bought the most lines)."""
    retailer_of_line = lines["retailer_id"].to_numpy(zero_copy_only=False).astype(str)
    retailers, retailer_index = np.unique(retailer_of_line, return_inverse=True)
    rows, _, known = catalogue.positions(lines)
    per_household = sp.coo_matrix(
        (np.ones(rows.size), (rows, retailer_index[known])), shape=(catalogue.households.size, retailers.size)
    ).tocsr()
    home = np.asarray(per_household.argmax(axis=1)).ravel()
    ranked = {
        retailer: _most_bought(catalogue.matrix(lines.filter(pa.array(retailer_index == retailer))), k)
        for retailer in range(retailers.size)
    }
    return np.stack([ranked[int(home[row])] for row in judged.rows])


def _recommend(
    model: AlternatingLeastSquares | BM25Recommender, items: sp.csr_matrix, judged: Judged, k: int
) -> npt.NDArray[np.int64]:
    ids, _ = model.recommend(judged.rows, items[judged.rows], N=k, filter_already_liked_items=False)
    return np.asarray(ids, dtype=np.int64)


def repeats(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Each household's own purchases of each product, on a log scale: what it buys again."""
    logged = counts.astype(np.float32, copy=True)
    logged.data = np.log1p(logged.data)
    return logged


def _scaled(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each row divided by its largest magnitude, so parts of different units can be summed."""
    largest = np.maximum(np.abs(scores).max(axis=1, keepdims=True), np.float32(1e-9))
    return np.asarray(scores / largest, dtype=np.float32)


def _batches(rows: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    return [rows[first : first + SCORING_BATCH] for first in range(0, rows.size, SCORING_BATCH)]


def _best(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    """Each row's ``k`` highest-scoring columns, best first."""
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1).astype(np.int64)


def blended(
    household_factors: npt.NDArray[np.float32],
    product_factors: npt.NDArray[np.float32],
    own: sp.csr_matrix,
    rows: npt.NDArray[np.int64],
    k: int,
    weights: Sequence[float],
) -> dict[float, npt.NDArray[np.int64]]:
    """The ``k`` best products of each of ``rows`` for each repeat weight: scaled factor scores plus the weight
    times the household's scaled repeat purchases (``own``, as ``repeats`` gives them)."""
    best: dict[float, list[npt.NDArray[np.int64]]] = {weight: [] for weight in weights}
    for batch in _batches(rows):
        factor_scores = _scaled(household_factors[batch] @ product_factors.T)
        repeat_scores = _scaled(own[batch].toarray())
        for weight in weights:
            best[weight].append(_best(factor_scores + np.float32(weight) * repeat_scores, k))
    return {weight: np.vstack(parts) for weight, parts in best.items()}


def buy_again(counts: sp.csr_matrix, judged: Judged, k: int) -> npt.NDArray[np.int64]:
    """Each household's own most bought products, the most popular after them where it bought fewer than k."""
    households = np.asarray((counts > 0).sum(axis=0), dtype=np.float32).ravel()
    popular = households / max(float(households.max()), 1.0)
    own = repeats(counts)
    return np.vstack(
        [_best(_scaled(own[batch].toarray()) + np.float32(1e-3) * popular, k) for batch in _batches(judged.rows)]
    )


def als(
    counts: sp.csr_matrix, factors: int, options: argparse.Namespace
) -> tuple[AlternatingLeastSquares, sp.csr_matrix]:
    weighted = bm25_weight(counts, K1=options.bm25_k1, B=options.bm25_b).tocsr().astype(np.float32)
    model = AlternatingLeastSquares(
        factors=factors, regularization=options.regularization, iterations=options.iterations, random_state=options.seed
    )
    model.fit(weighted, show_progress=False)
    return model, weighted


def item_item(counts: sp.csr_matrix, options: argparse.Namespace) -> BM25Recommender:
    model = BM25Recommender(K=options.neighbours)
    model.fit(counts, show_progress=False)
    return model


def train(environment: TrainingEnvironment, argv: Sequence[str]) -> None:
    options = hyperparameters(argv)
    started = time.perf_counter()
    train_lines = environment.read_channel("train", COLUMNS)
    validation_lines = environment.read_channel("validation", COLUMNS)
    test_lines = environment.read_channel("test", COLUMNS)
    k = options.k

    catalogue = Catalogue.of(train_lines)
    counts = catalogue.matrix(train_lines)
    validation = Judged.of(catalogue, validation_lines)
    tuning: dict[tuple[int, float], dict[str, float]] = {}
    for factors in options.factors:
        model, _ = als(counts, factors, options)
        by_weight = blended(
            model.user_factors, model.item_factors, repeats(counts), validation.rows, k, options.repeat_weights
        )
        for weight, ids in by_weight.items():
            tuning[factors, weight] = ranking_metrics(ids, validation.bought, k)
    chosen, repeat_weight = max(tuning, key=lambda setting: (tuning[setting]["ndcg"], -setting[0], -setting[1]))
    tuned = time.perf_counter()

    fitted_lines = pa.concat_tables([train_lines, validation_lines])
    catalogue = Catalogue.of(fitted_lines)
    counts = catalogue.matrix(fitted_lines)
    test = Judged.of(catalogue, test_lines)
    model, _ = als(counts, chosen, options)
    own = repeats(counts)
    [recommended] = blended(model.user_factors, model.item_factors, own, test.rows, k, [repeat_weight]).values()
    similar = item_item(counts, options)
    ranked = {
        "als": recommended,
        "popularity": popularity(counts, test, k),
        "popularity_by_retailer": popularity_by_retailer(catalogue, fitted_lines, test, k),
        "item_item": _recommend(similar, counts, test, k),
        "buy_again": buy_again(counts, test, k),
    }
    results = {name: ranking_metrics(ids, test.bought, k) for name, ids in ranked.items()}
    curves = {name: precision_curve(ids, test.bought, k) for name, ids in ranked.items()}
    trained = time.perf_counter()
    anchor = _anchor_protocol(pa.concat_tables([fitted_lines, test_lines]), chosen, repeat_weight, options)

    np.savez_compressed(
        environment.model_dir / MODEL_FILE,
        household_id=catalogue.households,
        product_id=catalogue.products,
        household_factors=model.user_factors,
        product_factors=model.item_factors,
        repeat_weight=np.float32(repeat_weight),
        repeats_indptr=own.indptr,
        repeats_indices=own.indices,
        repeats_data=own.data,
        most_bought=catalogue.products[_most_bought(counts, k)],
    )
    environment.write_metrics(
        {
            "k": k,
            "test": results,
            "precision_at": curves,
            "validation_ndcg": {
                f"factors={factors},repeat_weight={weight:g}": metrics["ndcg"]
                for (factors, weight), metrics in tuning.items()
            },
            "chosen": {
                "factors": chosen,
                "repeat_weight": repeat_weight,
                "regularization": options.regularization,
                "iterations": options.iterations,
            },
            "anchor_precision_at_5": anchor,
            "households": {"fitted": int(catalogue.households.size), "judged": int(test.rows.size)},
            "products": int(catalogue.products.size),
            "seconds": {"tuning": tuned - started, "training": trained - tuned, "total": time.perf_counter() - started},
        }
    )
    for name, metrics in results.items():
        print(" ".join(f"test:{name}:{metric}@{k}={value:.4f}" for metric, value in metrics.items()))


def _anchor_protocol(
    lines: pa.Table, factors: int, repeat_weight: float, options: argparse.Namespace
) -> dict[str, float]:
    """Precision at 5 with the last three weeks held out, as the published anchor measured it."""
    last = int(pc.max(lines["week"]).as_py())
    fitted = _weeks(lines, 0, last - ANCHOR_HELD_OUT_WEEKS)
    catalogue = Catalogue.of(fitted)
    counts = catalogue.matrix(fitted)
    judged = Judged.of(catalogue, _weeks(lines, last - ANCHOR_HELD_OUT_WEEKS + 1, last))
    model, _ = als(counts, factors, options)
    recommended = {
        "als": blended(model.user_factors, model.item_factors, repeats(counts), judged.rows, ANCHOR_K, [repeat_weight])[
            repeat_weight
        ],
        "popularity": popularity(counts, judged, ANCHOR_K),
        "item_item": _recommend(item_item(counts, options), counts, judged, ANCHOR_K),
    }
    return {name: ranking_metrics(ids, judged.bought, ANCHOR_K)["precision"] for name, ids in recommended.items()}


def main() -> None:
    with threadpool_limits(1, "blas"):
        run(train)


if __name__ == "__main__":
    main()
