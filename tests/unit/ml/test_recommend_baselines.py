"""The recommender's scoring and the baselines it must beat: the catalogue's matrix, each household's home
retailer, its own favourites, and the blend of factors with repeat purchases."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ml.training.recommend import Catalogue, Judged, blended, buy_again, popularity_by_retailer, repeats

pytestmark = pytest.mark.unit

FITTED = pa.table(
    {
        "household_id": [1, 1, 1, 2, 2, 3, 3, 4],
        "product_id": [10, 10, 20, 10, 30, 30, 30, 30],
        "retailer_id": ["north", "north", "south", "north", "north", "south", "south", "south"],
    }
)


def test_the_matrix_counts_lines_of_known_households_and_products_only() -> None:
    catalogue = Catalogue.of(FITTED)
    unseen = pa.table({"household_id": [1, 9, 2], "product_id": [10, 10, 99]})

    assert catalogue.matrix(FITTED).toarray().tolist() == [[2, 1, 0], [1, 0, 1], [0, 0, 2], [0, 0, 1]]
    assert catalogue.matrix(unseen).toarray().tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]


def test_each_household_gets_the_most_bought_products_of_the_retailer_it_shops_at_most() -> None:
    catalogue = Catalogue.of(FITTED)
    judged = Judged.of(catalogue, FITTED)

    ranked = popularity_by_retailer(catalogue, FITTED, judged, k=1)

    north, south = catalogue.products[ranked[[0, 2]].ravel()]
    assert (north, south) == (10, 30)
    assert np.array_equal(catalogue.products[ranked.ravel()], [10, 10, 30, 30])


def test_buy_again_ranks_a_households_own_purchases_first_ties_and_the_rest_by_popularity() -> None:
    catalogue = Catalogue.of(FITTED)
    counts = catalogue.matrix(FITTED)

    ranked = catalogue.products[buy_again(counts, Judged.of(catalogue, FITTED), k=2)]

    assert ranked.tolist() == [[10, 20], [30, 10], [30, 10], [30, 10]], (
        "household 2 bought 10 and 30 once: 30 is more popular"
    )


def test_the_repeat_weight_moves_the_households_own_products_above_what_the_factors_prefer() -> None:
    own = repeats(Catalogue.of(FITTED).matrix(FITTED))
    households = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    products = np.array([[0.0, 1.0], [0.1, 0.0], [1.0, 0.0]], dtype=np.float32)
    rows = np.arange(4, dtype=np.int64)

    ranked = blended(households, products, own, rows, k=1, weights=[0.0, 10.0])

    assert ranked[0.0].ravel().tolist() == [2, 0, 2, 0], "the factors alone"
    assert ranked[10.0].ravel().tolist() == [0, 0, 2, 2], "each household's most bought product"
