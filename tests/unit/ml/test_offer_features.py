"""The offer-response features see only what was dated before the campaign started."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ml.training.offer_features import OfferTables, band_start, features, labelled_pairs

pytestmark = pytest.mark.unit

START = pd.Timestamp("2017-06-01")


def _tables(lines: pd.DataFrame, redemptions: pd.DataFrame) -> OfferTables:
    return OfferTables(
        targeted=pd.DataFrame({"household_id": [1, 1, 2], "campaign_id": [10, 20, 20]}),
        campaigns=pd.DataFrame(
            {
                "campaign_id": [10, 20],
                "campaign_type": ["Type A", "Type B"],
                "start_date": [pd.Timestamp("2017-03-01"), START],
                "end_date": [pd.Timestamp("2017-04-01"), pd.Timestamp("2017-07-01")],
            }
        ),
        redemptions=redemptions,
        lines=lines,
        demographics=pd.DataFrame(
            {
                "household_id": [1],
                "age": ["35-44"],
                "income": ["Under 15K"],
                "household_size": ["5+"],
                "kids_count": ["None/Unknown"],
            }
        ),
    )


LINES = pd.DataFrame(
    {
        "household_id": [1, 1, 1, 2],
        "basket_id": [100, 100, 101, 200],
        "sales_value": [4.0, 6.0, 5.0, 2.0],
        "transaction_at": pd.to_datetime(["2017-05-20", "2017-05-20", "2017-05-27", "2016-12-01"]),
        "department": ["GROCERY", "PRODUCE", "GROCERY", "GROCERY"],
    }
)
REDEMPTIONS = pd.DataFrame({"household_id": [1], "campaign_id": [10], "redeemed_on": [pd.Timestamp("2017-03-15")]})
DURING_THE_CAMPAIGN = pd.DataFrame(
    {
        "household_id": [1, 2],
        "basket_id": [300, 400],
        "sales_value": [900.0, 900.0],
        "transaction_at": [START, pd.Timestamp("2017-06-20")],
        "department": ["PRODUCE", "MEAT"],
    }
)


def test_a_household_redeemed_a_campaign_when_it_redeemed_any_coupon_of_it() -> None:
    pairs = labelled_pairs(_tables(LINES, REDEMPTIONS))
    assert sorted(zip(pairs["household_id"], pairs["campaign_id"], pairs["redeemed"], strict=True)) == [
        (1, 10, 1),
        (1, 20, 0),
        (2, 20, 0),
    ]


def test_habits_history_and_bands_are_counted_before_the_start() -> None:
    tables = _tables(LINES, REDEMPTIONS)
    pairs = labelled_pairs(tables)
    row = features(tables, pairs, ["GROCERY", "PRODUCE"]).iloc[
        int(pairs.index[(pairs["household_id"] == 1) & (pairs["campaign_id"] == 20)][0])
    ]

    assert row["days_since_last_basket"] == 5
    assert (row["baskets_12w"], row["spend_12w"], row["basket_value_12w"], row["lines_per_basket_12w"]) == (
        2,
        15,
        7.5,
        1.5,
    )
    assert (row["share_grocery"], row["share_produce"]) == (9 / 15, 6 / 15)
    assert (row["campaigns_before"], row["redemptions_before"], row["campaigns_redeemed_before"]) == (1, 1, 1)
    assert (row["is_type_b"], row["campaign_days"]) == (1, 30)
    assert (row["age"], row["income"], row["household_size"]) == (35, 0, 5)
    assert math.isnan(row["kids_count"])


def test_a_household_without_recent_baskets_has_zero_habits_and_no_shares() -> None:
    tables = _tables(LINES, REDEMPTIONS)
    pairs = labelled_pairs(tables)
    row = features(tables, pairs, ["GROCERY"]).iloc[int(pairs.index[pairs["household_id"] == 2][0])]

    assert row["days_since_last_basket"] == (START - pd.Timestamp("2016-12-01")).days
    assert (row["baskets_12w"], row["spend_12w"], row["share_grocery"]) == (0, 0, 0)
    assert math.isnan(row["basket_value_12w"]) and math.isnan(row["age"])


def test_nothing_dated_from_the_start_on_changes_a_feature() -> None:
    quiet = _tables(LINES, REDEMPTIONS)
    busy = _tables(
        pd.concat([LINES, DURING_THE_CAMPAIGN], ignore_index=True),
        pd.concat([REDEMPTIONS, pd.DataFrame({"household_id": [1], "campaign_id": [20], "redeemed_on": [START]})]),
    )
    pairs = labelled_pairs(quiet)

    pd.testing.assert_frame_equal(
        features(quiet, pairs, ["GROCERY", "PRODUCE"]), features(busy, pairs, ["GROCERY", "PRODUCE"])
    )
    leaked = features(busy, pairs, ["GROCERY", "PRODUCE"], shift=pd.Timedelta(days=30))
    assert not leaked.equals(features(busy, pairs, ["GROCERY", "PRODUCE"])), "a window past the start sees the campaign"


@pytest.mark.parametrize(
    ("band", "start"), [("35-44", 35), ("65+", 65), ("Under 15K", 0), ("250K+", 250), ("1", 1), ("5+", 5)]
)
def test_a_band_is_ordered_by_its_lower_bound(band: str, start: float) -> None:
    assert band_start(band) == start


@pytest.mark.parametrize("band", [None, "None/Unknown", float("nan")])
def test_an_unknown_band_is_missing(band: object) -> None:
    assert math.isnan(band_start(band))
