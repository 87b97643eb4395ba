"""Entry point: next-basket product recommendations per household, against two baselines trained in the same run.

Channels ``train``, ``validation`` and ``test`` hold transaction lines
(``household_id``, ``product_id``, ``week``, ``retailer_id``) of consecutive
week ranges. The matrix-factorisation model (``implicit``'s ALS on
BM25-weighted counts of purchase lines) is tuned on validation with a model
fitted on train; the chosen setting is refitted on train and validation and
judged on the test weeks it never saw, beside three baselines fitted on the
same weeks: popularity overall, popularity at the household's home retailer,
and item-item similarity (``implicit``'s BM25 item-item with its own
defaults, the strongest of its item-item settings on this data).

Already-bought products are recommended like any other: most of a grocery
basket is bought again, and a household's staples are the most useful
suggestion for its next shop. A product first sold in the judged weeks cannot
be recommended by any model and does not count as missed.

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

from ml.training.ranking import ranking_metrics
from ml.training.script_mode import (
    HyperparameterParser,
    TrainingEnvironment,
    TrainingInputError,
    positive_int,
    positive_ints,
    run,
)

COLUMNS = ("household_id", "product_id", "week", "retailer_id")
MODEL_FILE = "recommender.npz"
ANCHOR_HELD_OUT_WEEKS = 3
ANCHOR_K = 5
"""The published anchor's protocol: the last three weeks held out, precision at 5."""


def hyperparameters(argv: Sequence[str]) -> argparse.Namespace:
    parser = HyperparameterParser(prog="recommend")
    parser.add_argument("--factors", type=positive_ints, default=[64, 128], help="tuned on validation")
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
    tuning = {}
    for factors in options.factors:
        model, weighted = als(counts, factors, options)
        tuning[factors] = ranking_metrics(_recommend(model, weighted, validation, k), validation.bought, k)
    chosen = max(options.factors, key=lambda factors: (tuning[factors]["ndcg"], -factors))
    tuned = time.perf_counter()

    fitted_lines = pa.concat_tables([train_lines, validation_lines])
    catalogue = Catalogue.of(fitted_lines)
    counts = catalogue.matrix(fitted_lines)
    test = Judged.of(catalogue, test_lines)
    model, weighted = als(counts, chosen, options)
    similar = item_item(counts, options)
    results = {
        "als": ranking_metrics(_recommend(model, weighted, test, k), test.bought, k),
        "popularity": ranking_metrics(popularity(counts, test, k), test.bought, k),
        "popularity_by_retailer": ranking_metrics(
            popularity_by_retailer(catalogue, fitted_lines, test, k), test.bought, k
        ),
        "item_item": ranking_metrics(_recommend(similar, counts, test, k), test.bought, k),
    }
    trained = time.perf_counter()
    anchor = _anchor_protocol(pa.concat_tables([fitted_lines, test_lines]), chosen, options)

    np.savez_compressed(
        environment.model_dir / MODEL_FILE,
        household_id=catalogue.households,
        product_id=catalogue.products,
        household_factors=model.user_factors,
        product_factors=model.item_factors,
        most_bought=catalogue.products[_most_bought(counts, k)],
    )
    environment.write_metrics(
        {
            "k": k,
            "test": results,
            "validation_ndcg": {str(factors): metrics["ndcg"] for factors, metrics in tuning.items()},
            "chosen": {"factors": chosen, "regularization": options.regularization, "iterations": options.iterations},
            "anchor_precision_at_5": anchor,
            "households": {"fitted": int(catalogue.households.size), "judged": int(test.rows.size)},
            "products": int(catalogue.products.size),
            "seconds": {"tuning": tuned - started, "training": trained - tuned, "total": time.perf_counter() - started},
        }
    )
    for name, metrics in results.items():
        print(" ".join(f"test:{name}:{metric}@{k}={value:.4f}" for metric, value in metrics.items()))


def _anchor_protocol(lines: pa.Table, factors: int, options: argparse.Namespace) -> dict[str, float]:
    """Precision at 5 with the last three weeks held out, as the published anchor measured it."""
    last = int(pc.max(lines["week"]).as_py())
    fitted = _weeks(lines, 0, last - ANCHOR_HELD_OUT_WEEKS)
    catalogue = Catalogue.of(fitted)
    counts = catalogue.matrix(fitted)
    judged = Judged.of(catalogue, _weeks(lines, last - ANCHOR_HELD_OUT_WEEKS + 1, last))
    model, weighted = als(counts, factors, options)
    recommended = {
        "als": _recommend(model, weighted, judged, ANCHOR_K),
        "popularity": popularity(counts, judged, ANCHOR_K),
        "item_item": _recommend(item_item(counts, options), counts, judged, ANCHOR_K),
    }
    return {name: ranking_metrics(ids, judged.bought, ANCHOR_K)["precision"] for name, ids in recommended.items()}


def main() -> None:
    with threadpool_limits(1, "blas"):
        run(train)


if __name__ == "__main__":
    main()
