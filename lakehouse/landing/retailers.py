"""Stores map to a handful of retailers, the tenants that later receive exports."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

RETAILERS = (
    ("R01", "Harbour Grocers", "GB"),
    ("R02", "Prairie Foods", "US"),
    ("R03", "Northgate Markets", "GB"),
    ("R04", "Sunvale Supermarkets", "US"),
    ("R05", "Cornerstone Co-op", "US"),
)


def store_retailer_map(store_ids: list[int], seed: int) -> pa.Table:
    """One row per store: the retailer it belongs to, assigned round-robin after a seeded shuffle.

    Assigning against the full store list keeps a store's retailer the same in
    a sample and in the full landing.
    """
    shuffled = np.random.default_rng(seed).permutation(np.array(sorted(store_ids), dtype=np.int64))
    owner = {int(store): RETAILERS[position % len(RETAILERS)] for position, store in enumerate(shuffled)}
    ordered = sorted(owner)
    return pa.table(
        {
            "store_id": pa.array(ordered, pa.int64()),
            "retailer_id": [owner[store][0] for store in ordered],
            "retailer_name": [owner[store][1] for store in ordered],
            "country": [owner[store][2] for store in ordered],
        }
    )
