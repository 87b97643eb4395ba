"""Choose the households a sample landing holds, the same ones across every table."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sample_households(transactions: pd.DataFrame, demographics: pd.DataFrame, count: int, seed: int) -> list[int]:
    """``count`` households, seeded, preferring ones with demographics so every table has rows.

    Households with a demographic profile come first (in seeded random order),
    then the rest, so a small sample still exercises the demographics joins.
    """
    shoppers = pd.Index(transactions["household_id"].unique())
    profiled = shoppers.intersection(demographics["household_id"]).sort_values()
    unprofiled = shoppers.difference(profiled).sort_values()
    rng = np.random.default_rng(seed)
    ordered = list(rng.permutation(profiled.to_numpy())) + list(rng.permutation(unprofiled.to_numpy()))
    if count > len(ordered):
        raise ValueError(f"--households {count}: the data holds only {len(ordered)} households")
    return sorted(int(household) for household in ordered[:count])
