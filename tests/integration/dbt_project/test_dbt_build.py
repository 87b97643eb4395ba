"""`dbt build` on the sample: every model, contract, data test and reconciliation passes, and reruns cleanly."""

from __future__ import annotations

import pytest

from lakehouse.dbt import DbtBuild, build_marts
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import ANALYST, connect
from tests.marts import MARTS

pytestmark = pytest.mark.integration


def _mart_totals(warehouse: WarehouseProcess) -> dict[str, tuple[int, float]]:
    client = connect(warehouse)
    return {
        table: tuple(client.query(f"SELECT count(), round(sum(sales_value), 2) FROM category.{table}").result_rows[0])
        for table in ("fct_sales_lines", "category_sales_weekly", "category_performance_weekly")
    }


def test_dbt_build_passes_every_model_test_and_reconciliation_on_the_sample(marts: DbtBuild) -> None:
    assert marts.nodes > 150
    assert marts.no_op == 2  # the exposures
    assert (marts.passed, marts.warned) == (marts.nodes - marts.no_op, 0)


def test_every_mart_is_a_merge_tree_table_with_rows(marts: DbtBuild, warehouse: WarehouseProcess) -> None:
    client = connect(warehouse)
    tables = {
        (database, name): (engine, rows)
        for database, name, engine, rows in client.query(
            "SELECT database, name, engine, total_rows FROM system.tables "
            "WHERE database IN ('category', 'promotions', 'loyalty', 'exports')"
        ).result_rows
    }
    expected = {(database, name) for database, names in MARTS.items() for name in names}
    assert set(tables) == expected
    for table, (engine, rows) in tables.items():
        assert engine == "MergeTree", table
        assert rows > 0, table


def test_the_analyst_login_reads_the_marts(marts: DbtBuild, warehouse: WarehouseProcess) -> None:
    analyst = connect(warehouse, *ANALYST)
    segments = analyst.query("SELECT segment, count() FROM loyalty.household_rfm GROUP BY segment").result_rows
    households = connect(warehouse).query("SELECT uniqExact(household_id) FROM category.fct_sales_lines").result_rows
    assert sum(count for _, count in segments) == households[0][0]


def test_a_second_build_is_incremental_and_changes_no_figure(marts: DbtBuild, warehouse: WarehouseProcess) -> None:
    before = _mart_totals(warehouse)
    again = build_marts(warehouse.settings)
    assert again.all_passed
    assert _mart_totals(warehouse) == before


def test_a_week_window_from_the_orchestrator_rebuilds_just_those_weeks(
    marts: DbtBuild, warehouse: WarehouseProcess
) -> None:
    before = _mart_totals(warehouse)
    rebuilt = build_marts(
        warehouse.settings,
        "--select",
        "fct_sales_lines category_sales_weekly",
        "--vars",
        "{from_week: 10, to_week: 12}",
    )
    assert rebuilt.all_passed
    assert _mart_totals(warehouse) == before
