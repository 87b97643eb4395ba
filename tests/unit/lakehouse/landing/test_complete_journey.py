"""The real Complete Journey tables: week numbering and consistent household samples."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lakehouse.landing import complete_journey
from lakehouse.landing.households import sample_households

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return {name: complete_journey.read_table(name) for name in complete_journey.TABLES}


def test_the_package_holds_the_documented_row_counts(tables: dict[str, pa.Table]) -> None:
    assert tables["transactions"].num_rows == 1_469_307
    assert tables["promotions"].num_rows == 20_940_529
    assert pc.count_distinct(tables["transactions"]["household_id"]).as_py() == 2_469


def test_redemption_weeks_count_days_the_way_transaction_weeks_do(tables: dict[str, pa.Table]) -> None:
    transactions = tables["transactions"].select(["week", "transaction_timestamp"])
    midday = transactions.filter(pc.equal(pc.hour(transactions["transaction_timestamp"]), 12))
    days = pc.floor_temporal(midday["transaction_timestamp"], unit="day")
    derived = complete_journey.redemption_week(days)
    agreement = pc.mean(pc.cast(pc.equal(derived, midday["week"]), pa.float64())).as_py()
    assert agreement > 0.97


def test_a_sample_keeps_every_reference_whole(tables: dict[str, pa.Table]) -> None:
    households = sample_households(tables["transactions"].to_pandas(), tables["demographics"].to_pandas(), 5, 1)
    sample = complete_journey.restrict_to_households(tables, households)
    products = set(sample["products"]["product_id"].to_pylist())
    catalogue = set(tables["products"]["product_id"].to_pylist())
    assert set(sample["transactions"]["household_id"].to_pylist()) == set(households)
    # The real data sells a few products its catalogue lacks; a sample keeps every one that is there.
    assert set(sample["transactions"]["product_id"].to_pylist()) & catalogue <= products
    assert set(sample["coupons"]["product_id"].to_pylist()) & catalogue <= products
    assert set(sample["coupon_redemptions"]["coupon_upc"].to_pylist()) <= set(
        sample["coupons"]["coupon_upc"].to_pylist()
    )
    assert set(sample["promotions"]["product_id"].to_pylist()) <= products


def test_sampling_more_households_than_exist_names_the_limit(tables: dict[str, pa.Table]) -> None:
    with pytest.raises(ValueError, match="--households 9999: the data holds only 2469 households"):
        sample_households(tables["transactions"].to_pandas(), tables["demographics"].to_pandas(), 9999, 1)
