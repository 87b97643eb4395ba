"""The marts must be fresh: rebuilt weekly, so none may be older than eight days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

from orchestration.freshness import freshness_checks


def marts_freshness(marts: Sequence[dg.AssetsDefinition]) -> Sequence[dg.AssetChecksDefinition]:
    """A last-update freshness check on every mart (the models under ``models/marts``)."""
    mart_groups = {"category", "promotions", "loyalty", "exports"}
    keys = [key for assets in marts for key, group in assets.group_names_by_key.items() if group in mart_groups]
    return freshness_checks("marts_freshness", keys, timedelta(days=8))
