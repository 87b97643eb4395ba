"""Batch scoring with a packed model: the top products per household, and the redemption propensity per offer.

Each function reads the model folder a training job packed (``model.tar.gz``
unpacked) and scores with the training code's own functions, so a score is
what the judged model would have said.
"""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import scipy.sparse as sp

from ml.training import offer_response, recommend
from ml.training.offer_features import OfferTables, features, labelled_pairs

FROM_MODEL = "model"
FROM_POPULARITY = "popularity"
"""Where a household's recommendations come from: the model, or (for a household it was not fitted on) the most
bought products of the weeks it was fitted on."""


def top_products(model_dir: Path, households: npt.NDArray[np.int64], k: int) -> pa.Table:
    """``k`` products for each household, best first: household_id, rank (1 = best), product_id, source."""
    packed = np.load(model_dir / recommend.MODEL_FILE)
    known, products = packed["household_id"], packed["product_id"]
    own = sp.csr_matrix(
        (packed["repeats_data"], packed["repeats_indices"], packed["repeats_indptr"]),
        shape=(known.size, products.size),
    )
    rows = np.searchsorted(known, households)
    fitted = (rows < known.size) & (known[np.minimum(rows, known.size - 1)] == households)
    weight = float(packed["repeat_weight"])
    [ranked] = recommend.blended(
        packed["household_factors"], packed["product_factors"], own, rows[fitted], k, [weight]
    ).values()
    popular = packed["most_bought"][:k]
    unfitted = households[~fitted]
    return pa.concat_tables(
        [
            _ranked(households[fitted], products[ranked], FROM_MODEL),
            _ranked(unfitted, np.tile(popular, (unfitted.size, 1)), FROM_POPULARITY),
        ]
    )


def _ranked(households: npt.NDArray[np.int64], products: npt.NDArray[np.int64], source: str) -> pa.Table:
    """One row per household and rank from a households-by-rank array of products."""
    count, k = products.shape
    return pa.table(
        {
            "household_id": pa.array(np.repeat(households, k), pa.int64()),
            "rank": pa.array(np.tile(np.arange(1, k + 1), count), pa.int16()),
            "product_id": pa.array(products.ravel(), pa.int64()),
            "source": pa.array([source] * (count * k), pa.string()),
        }
    )


def offer_propensities(model_dir: Path, tables: OfferTables) -> pa.Table:
    """The model's probability that each targeted household redeems a coupon of the campaign, from what was known
    when the campaign started: household_id, campaign_id, propensity."""
    named = json.loads((model_dir / offer_response.FEATURES_FILE).read_text())
    booster = lgb.Booster(model_file=str(model_dir / offer_response.MODEL_FILE))
    pairs = labelled_pairs(tables)
    scored = features(tables, pairs, named["departments"])[named["features"]]
    propensity = np.asarray(booster.predict(scored.to_numpy(dtype=np.float64)), dtype=np.float64)
    frame = pd.DataFrame(
        {"household_id": pairs["household_id"], "campaign_id": pairs["campaign_id"], "propensity": propensity}
    )
    return pa.Table.from_pandas(frame, preserve_index=False).cast(
        pa.schema([("household_id", pa.int64()), ("campaign_id", pa.int64()), ("propensity", pa.float64())])
    )
