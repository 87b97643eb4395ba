"""The baselines the recommender must beat: the catalogue's matrix and each household's home retailer."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ml.training.recommend import Catalogue, Judged, popularity_by_retailer

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
