"""Mart figures recomputed by DuckDB straight from the landing Parquet, by another engine and other SQL.

DuckDB never sees the lake: it reads the files as they landed, so a figure agrees
only if ingestion, staging and the mart together kept every row they should.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from lakehouse.dbt import DbtBuild
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect

pytestmark = pytest.mark.integration

FUEL = "(p.department = 'FUEL' or p.product_type like 'GASOLINE%')"


@pytest.fixture(scope="module")
def landing(warehouse: WarehouseProcess) -> duckdb.DuckDBPyConnection:
    """DuckDB with a view over each landing feed."""
    root = Path(warehouse.settings.landing_uri)
    database = duckdb.connect()
    for feed, files in {
        "transactions": "transactions/*/*.parquet",
        "promotions": "promotions/*/*.parquet",
        "products": "products/*.parquet",
        "campaigns": "campaigns/*.parquet",
        "coupon_redemptions": "coupon_redemptions/*/*.parquet",
    }.items():
        database.execute(f"create view {feed} as select * from read_parquet('{root / files}')")
    return database


def test_department_sales_of_a_week_equal_the_landing_files(
    marts: DbtBuild, warehouse: WarehouseProcess, landing: duckdb.DuckDBPyConnection
) -> None:
    week = 30
    expected = dict(
        landing.execute(
            "select coalesce(p.department, 'UNKNOWN'), sum(cast(round(t.sales_value, 2) as decimal(18, 2))) "
            "from transactions t "
            "left join products p on t.product_id = p.product_id where t.week = ? group by 1",
            [week],
        ).fetchall()
    )
    rows = (
        connect(warehouse)
        .query(
            "SELECT department, sum(sales_value) FROM category.category_sales_weekly "
            "WHERE week = {week:Int32} GROUP BY department",
            parameters={"week": week},
        )
        .result_rows
    )
    marts_figures = {str(department): sales for department, sales in rows}
    assert len(expected) > 5
    assert marts_figures == expected


def test_the_lift_of_a_promoted_product_equals_the_landing_files(
    marts: DbtBuild, warehouse: WarehouseProcess, landing: duckdb.DuckDBPyConnection
) -> None:
    product_id, store_id, week, lift = (
        connect(warehouse)
        .query(
            "SELECT l.product_id, l.store_id, l.week, l.item_units_lift FROM promotions.promotion_lift AS l "
            "INNER JOIN category.dim_products AS p ON l.product_id = p.product_id "
            "WHERE NOT p.is_fuel AND l.item_units_lift > 1 "
            "ORDER BY l.incremental_item_units DESC, l.product_id, l.store_id, l.week LIMIT 1"
        )
        .result_rows[0]
    )
    expected = landing.execute(
        f"""
        with weekly as (
            select t.week, sum(if({FUEL}, 0, t.quantity)) as units
            from transactions t left join products p on t.product_id = p.product_id
            where t.product_id = $product and t.store_id = $store
            group by t.week
        ),
        promoted as (
            select distinct week from promotions
            where product_id = $product and store_id = $store
                and (display_location <> '0' or mailer_location <> '0')
        ),
        span as (select min(week) as first_week, max(week) as last_week from weekly),
        baseline as (
            select sum(coalesce(w.units, 0)) / count(*) as units
            from span, range(span.first_week, span.last_week + 1) as weeks(week)
            left join weekly w on w.week = weeks.week
            where weeks.week not in (select week from promoted)
        )
        select (select units from weekly where week = $week) / baseline.units from baseline
        """,
        {"product": product_id, "store": store_id, "week": week},
    ).fetchone()
    assert expected is not None
    assert lift == pytest.approx(expected[0], rel=1e-9)


def test_the_redemption_rate_of_a_campaign_equals_the_landing_files(
    marts: DbtBuild, warehouse: WarehouseProcess, landing: duckdb.DuckDBPyConnection
) -> None:
    campaign_id, rate = (
        connect(warehouse)
        .query(
            "SELECT campaign_id, redemption_rate FROM promotions.campaign_performance "
            "WHERE redemption_rate > 0 ORDER BY households_targeted DESC, campaign_id LIMIT 1"
        )
        .result_rows[0]
    )
    expected = landing.execute(
        """
        select count(distinct r.household_id) / (select count(distinct household_id) from campaigns
                                                 where campaign_id = $campaign)
        from coupon_redemptions r
        join campaigns c on r.campaign_id = c.campaign_id and r.household_id = c.household_id
        where r.campaign_id = $campaign
        """,
        {"campaign": campaign_id},
    ).fetchone()
    assert expected is not None
    assert rate == pytest.approx(expected[0], rel=1e-12)
