"""Training channels cut from the real Complete Journey: train weeks 1-45, validation 46-49, test 50-53."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lakehouse.landing.complete_journey import distinct_values, read_table
from lakehouse.landing.retailers import store_retailer_map
from lakehouse.ml_datasets import MANIFEST_FILE, Dataset, DatasetManifest
from lakehouse.model_registry import register
from lakehouse.settings import Settings
from ml.jobs import TrainingJob
from ml.local_runner import run_locally

CHANNEL_WEEKS = {"train": (1, 45), "validation": (46, 49), "test": (50, 53)}


def transaction_lines(households: int | None, seed: int) -> pa.Table:
    """Lines of ``households`` households drawn with ``seed`` (all of them when None), with each store's retailer.

    Stores are assigned retailers from the full store list, as landing does, so a store's retailer is the same here.
    """
    lines = read_table("transactions").select(["household_id", "product_id", "week", "store_id"])
    all_stores = distinct_values(lines["store_id"], read_table("promotions")["store_id"])
    stores = store_retailer_map(all_stores.to_pylist(), seed)
    if households is not None:
        everyone = np.unique(lines["household_id"].to_numpy())
        drawn = np.random.default_rng(seed).choice(everyone, size=households, replace=False)
        lines = lines.filter(pc.is_in(lines["household_id"], value_set=pa.array(drawn)))
    return lines.join(stores.select(["store_id", "retailer_id"]), "store_id").drop_columns(["store_id"])


def write_channels(folder: Path, lines: pa.Table) -> dict[str, Path]:
    """One folder of Parquet per channel, as a dataset extraction writes them."""
    channels = {}
    for channel, (first, last) in CHANNEL_WEEKS.items():
        week = lines["week"]
        rows = lines.filter(pc.and_(pc.greater_equal(week, first), pc.less_equal(week, last)))
        (folder / channel).mkdir(parents=True)
        pq.write_table(rows, folder / channel / "part-0.parquet")
        channels[channel] = folder / channel
    return channels


def offer_channels(folder: Path) -> dict[str, Path]:
    """The offer-response model's channels from The Complete Journey, as a dataset extraction writes them."""
    products = read_table("products").select(["product_id", "department"])
    lines = (
        read_table("transactions")
        .select(["household_id", "basket_id", "product_id", "sales_value", "transaction_timestamp"])
        .join(products, "product_id")
        .rename_columns({"transaction_timestamp": "transaction_at"})
        .drop_columns(["product_id"])
    )
    redemptions = read_table("coupon_redemptions").rename_columns({"redemption_date": "redeemed_on"})
    tables = {
        "targeted": read_table("campaigns"),
        "campaigns": read_table("campaign_descriptions"),
        "redemptions": redemptions.select(["household_id", "campaign_id", "redeemed_on"]),
        "lines": lines,
        "demographics": read_table("demographics"),
    }
    channels = {}
    for channel, table in tables.items():
        (folder / channel).mkdir(parents=True)
        pq.write_table(table, folder / channel / "part-0.parquet")
        channels[channel] = folder / channel
    return channels


def register_full_offer_model(settings: Settings, folder: Path) -> int:
    """The offer model trained on the full Complete Journey and registered; it clears its bars and is champion.

    The sample's dozen households were targeted by too few campaigns to train it, yet it scores their offers.
    """
    channels = offer_channels(folder)
    manifest = DatasetManifest(
        model="offer_response",
        version="complete-journey",
        created_at="2026-12-03T00:00:00+00:00",
        channels={name: {"rows": 0, "columns": []} for name in channels},
        delta_versions={},
        policy_version=1,
    )
    (folder / MANIFEST_FILE).write_text(json.dumps(asdict(manifest)))
    outcome = run_locally(TrainingJob("offer-response-full", "offer_response", channels), folder / "jobs")
    registration = register(settings, "offer_response", Dataset(folder, manifest, reused=False), outcome)
    assert registration.verdict.promoted, registration.verdict.reasons
    return registration.version.version
