"""The marts reconciled with the landing files week by week: `lakehouse reconcile` and dbt's test, both ways."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from lakehouse.dbt import DbtBuild, DbtBuildError, build_marts
from lakehouse.landing.storage import files_under, landing_store
from lakehouse.reconciliation import SALES_FEED
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect

pytestmark = pytest.mark.integration

RECONCILIATION_TEST = "fct_sales_lines_reconciles_with_landing"
LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))


def _reconcile(warehouse: WarehouseProcess) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **warehouse.settings.as_environment()}
    return subprocess.run([LAKEHOUSE, "reconcile"], capture_output=True, text=True, env=environment, timeout=300)


def test_reconcile_prints_each_week_of_the_landing_beside_the_marts_and_exits_0(
    marts: DbtBuild, warehouse: WarehouseProcess
) -> None:
    settings = warehouse.settings
    store = landing_store(settings)
    landed = [pq.read_table(store.filesystem.open_input_file(store.path(path))) for path in files_under(store, SALES_FEED)]
    weeks = sorted({week for table in landed for week in pc.unique(table["week"]).to_pylist()})
    mart_lines = connect(warehouse).query("SELECT count() FROM category.fct_sales_lines").result_rows[0][0]

    result = _reconcile(warehouse)

    assert result.returncode == 0, result.stdout + result.stderr
    rows = {int(line.split()[0]): line.split()[1:] for line in result.stdout.splitlines() if line.split()[:1]
            and line.split()[0].isdigit()}  # fmt: skip
    assert sorted(rows) == weeks
    for week, cells in rows.items():
        assert cells[0::2] == cells[1::2], f"week {week}: landing and marts differ: {cells}"
    assert sum(int(cells[0].replace(",", "")) for cells in rows.values()) == mart_lines
    assert f"ok the marts equal the landing in each of {len(weeks)} weeks: {mart_lines:,} lines" in result.stdout


@pytest.fixture
def a_line_lost_from_the_mart(marts: DbtBuild, warehouse: WarehouseProcess) -> Iterator[tuple[int, int]]:
    """One sales line deleted from category.fct_sales_lines, put back afterwards: (its week, the week's lines)."""
    client = connect(warehouse)
    week, household, basket, product = client.query(
        "SELECT week, household_id, basket_id, product_id FROM category.fct_sales_lines "
        "ORDER BY week DESC, basket_id, product_id LIMIT 1"
    ).result_rows[0]
    lines = client.query(f"SELECT count() FROM category.fct_sales_lines WHERE week = {week}").result_rows[0][0]
    line = f"household_id = {household} AND basket_id = {basket} AND product_id = {product}"
    client.command("CREATE TABLE default.lost_line AS category.fct_sales_lines")
    client.command(f"INSERT INTO default.lost_line SELECT * FROM category.fct_sales_lines WHERE {line}")
    client.command(f"ALTER TABLE category.fct_sales_lines DELETE WHERE {line} SETTINGS mutations_sync = 2")
    try:
        yield int(week), int(lines)
    finally:
        client.command("INSERT INTO category.fct_sales_lines SELECT * FROM default.lost_line")
        client.command("DROP TABLE default.lost_line")


def test_a_line_missing_from_the_mart_fails_reconcile_naming_the_week_and_dbt_naming_the_test(
    warehouse: WarehouseProcess, a_line_lost_from_the_mart: tuple[int, int]
) -> None:
    week, lines = a_line_lost_from_the_mart

    result = _reconcile(warehouse)

    assert result.returncode == 1, result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == (
        f"error the marts differ from the landing: week {week}: lines {lines - 1:,} in category.fct_sales_lines "
        f"against {lines:,} in the landing"
    )
    with pytest.raises(DbtBuildError) as failure:
        build_marts(warehouse.settings, "--select", RECONCILIATION_TEST)
    assert RECONCILIATION_TEST in str(failure.value)
