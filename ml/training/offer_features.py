"""What is known of a targeted household when a campaign starts: the features the offer-response model learns from.

Every feature of a (household, campaign) pair is computed from rows dated
before the pair's cutoff, the campaign's start: baskets, department spend,
earlier campaigns and earlier redemptions. Nothing of the campaign's own
weeks is read, so no feature can carry the answer. ``shift`` moves the
cutoff; the leakage test moves it past the start to show what a leak would
look like, training always uses none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

LOOKBACK = pd.Timedelta(days=84)
"""The recent window of basket habits and department shares: twelve weeks."""
DEPARTMENTS = 8
"""Department spend shares for the departments with the most spend."""
DEMOGRAPHIC_BANDS = ("age", "income", "household_size", "kids_count")
CAMPAIGN_TYPES = ("Type A", "Type B", "Type C")
NO_SHIFT = pd.Timedelta(0)


@dataclass(frozen=True)
class OfferTables:
    """The channels the offer-response model reads, as frames.

    ``targeted``: household_id, campaign_id. ``campaigns``: campaign_id,
    campaign_type, start_date, end_date. ``redemptions``: household_id,
    campaign_id, redeemed_on. ``lines``: household_id, basket_id, sales_value,
    transaction_at, department. ``demographics``: household_id and the bands.
    """

    targeted: pd.DataFrame
    campaigns: pd.DataFrame
    redemptions: pd.DataFrame
    lines: pd.DataFrame
    demographics: pd.DataFrame


def band_start(band: object) -> float:
    """A band's lower bound as a number (``35-44`` is 35, ``Under 15K`` is 0, ``5+`` is 5); NaN when unknown."""
    if not isinstance(band, str):
        return float("nan")
    if band.lower().startswith("under"):
        return 0.0
    number = re.search(r"\d+", band)
    return float(number.group()) if number else float("nan")


def top_departments(lines: pd.DataFrame, count: int = DEPARTMENTS) -> list[str]:
    spend = lines.groupby("department", observed=True)["sales_value"].sum().sort_values(ascending=False)
    return [str(name) for name in spend.index[:count]]


def labelled_pairs(tables: OfferTables) -> pd.DataFrame:
    """Every targeted (household, campaign) with the campaign's dates and type, and whether the household redeemed
    a coupon of it (``redeemed``)."""
    redeemed = tables.redemptions[["household_id", "campaign_id"]].drop_duplicates().assign(redeemed=1)
    pairs = tables.targeted[["household_id", "campaign_id"]].drop_duplicates()
    pairs = pairs.merge(tables.campaigns, on="campaign_id", how="inner")
    pairs = pairs.merge(redeemed, on=["household_id", "campaign_id"], how="left")
    pairs["redeemed"] = pairs["redeemed"].fillna(0).astype(np.int8)
    return pairs.reset_index(drop=True)


def _baskets(lines: pd.DataFrame) -> pd.DataFrame:
    return (
        lines.groupby(["household_id", "basket_id"], observed=True)
        .agg(at=("transaction_at", "min"), value=("sales_value", "sum"), lines=("sales_value", "size"))
        .reset_index()
    )


def _before_cutoff(pairs: pd.DataFrame, rows: pd.DataFrame, at: str) -> pd.DataFrame:
    """The household's ``rows`` dated before each pair's cutoff, one copy per pair (keyed by ``pair``)."""
    joined = pairs[["pair", "household_id", "cutoff"]].merge(rows, on="household_id", how="inner")
    return joined[joined[at] < joined["cutoff"]]


def features(
    tables: OfferTables, pairs: pd.DataFrame, departments: Sequence[str], shift: pd.Timedelta = NO_SHIFT
) -> pd.DataFrame:
    """One row of features per pair, in the pairs' order, from what was dated before the campaign start (+ shift)."""
    pairs = pairs[["household_id", "campaign_id", "campaign_type", "start_date", "end_date"]].reset_index(drop=True)
    pairs["pair"] = np.arange(len(pairs))
    pairs["cutoff"] = pairs["start_date"] + shift
    result = pd.DataFrame(index=pd.RangeIndex(len(pairs)))

    baskets = _before_cutoff(pairs, _baskets(tables.lines), "at")
    result["days_since_last_basket"] = (pairs["cutoff"] - baskets.groupby("pair")["at"].max()).dt.days
    recent = baskets[baskets["at"] >= baskets["cutoff"] - LOOKBACK]
    by_pair = recent.groupby("pair")
    result["baskets_12w"] = by_pair.size()
    result["spend_12w"] = by_pair["value"].sum()
    result["basket_value_12w"] = by_pair["value"].mean()
    result["lines_per_basket_12w"] = by_pair["lines"].mean()
    result["active_weeks_12w"] = by_pair["at"].agg(lambda at: at.dt.to_period("W").nunique())
    for column in ("baskets_12w", "spend_12w", "active_weeks_12w"):
        result[column] = result[column].fillna(0.0)

    spend_lines = tables.lines[["household_id", "transaction_at", "department", "sales_value"]]
    spend = _before_cutoff(pairs, spend_lines, "transaction_at")
    spend = spend[spend["transaction_at"] >= spend["cutoff"] - LOOKBACK]
    by_department = spend.pivot_table(index="pair", columns="department", values="sales_value", aggfunc="sum")
    spent = by_department.reindex(index=result.index, columns=list(departments))
    total = result["spend_12w"].replace(0.0, np.nan)
    for department in departments:
        result[f"share_{_slug(department)}"] = (spent[department] / total).fillna(0.0)

    earlier = pairs[["pair", "household_id", "cutoff"]].merge(
        tables.targeted.merge(tables.campaigns[["campaign_id", "start_date"]], on="campaign_id"), on="household_id"
    )
    result["campaigns_before"] = earlier[earlier["start_date"] < earlier["cutoff"]].groupby("pair").size()
    redeemed = _before_cutoff(pairs, tables.redemptions[["household_id", "campaign_id", "redeemed_on"]], "redeemed_on")
    result["redemptions_before"] = redeemed.groupby("pair").size()
    result["campaigns_redeemed_before"] = redeemed.groupby("pair")["campaign_id"].nunique()
    for column in ("campaigns_before", "redemptions_before", "campaigns_redeemed_before"):
        result[column] = result[column].fillna(0.0)

    for campaign_type in CAMPAIGN_TYPES:
        result[f"is_{_slug(campaign_type)}"] = (pairs["campaign_type"] == campaign_type).astype(float)
    result["campaign_days"] = (pairs["end_date"] - pairs["start_date"]).dt.days.astype(float)

    bands = tables.demographics.set_index("household_id")
    for band in DEMOGRAPHIC_BANDS:
        starts = bands[band].map(band_start) if band in bands else pd.Series(dtype=float)
        result[band] = pairs["household_id"].map(starts).astype(float)
    return result.astype(float)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
