"""Money in the marts is exact: every amount a contract declares is a decimal in cents, and no value shows noise.

The money columns are the ones the models' contracts declare ``Decimal(p, 2)``; a column named like money
that its contract does not declare so fails the first test, so a new amount cannot slip past the scan.
"""

from __future__ import annotations

import json
import re

import pytest

from lakehouse.dbt import DbtBuild, dbt_target_path
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect
from tests.marts import MARTS

pytestmark = pytest.mark.integration

AMOUNT = re.compile(r"sales_value|discount|monetary_value|basket_value|spend")
"""Column names that read as an amount of money ..."""
RATIO = re.compile(r"lift|share|depth|growth|rate")
"""... unless they are a ratio of amounts (a Float64 by design)."""
CENTS = re.compile(r"^(Nullable\()?Decimal\((18|38), 2\)\)?$")


def _money_columns(warehouse: WarehouseProcess) -> dict[str, str]:
    """Every mart column whose contract declares an amount in cents (``Decimal(p, 2)``), with its declared type."""
    manifest = json.loads((dbt_target_path(warehouse.settings) / "manifest.json").read_text())
    return {
        f"{node['schema']}.{node['alias'] or node['name']}.{name}": column["data_type"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] in MARTS
        for name, column in node["columns"].items()
        if CENTS.match(column.get("data_type") or "")
    }


def _warehouse_columns(warehouse: WarehouseProcess) -> dict[str, str]:
    databases = ", ".join(f"'{database}'" for database in MARTS)
    rows = connect(warehouse).query(
        f"SELECT database || '.' || table || '.' || name, type FROM system.columns WHERE database IN ({databases})"
    )
    return {str(column): str(data_type) for column, data_type in rows.result_rows}


def test_every_money_column_of_every_mart_is_a_decimal_in_cents(marts: DbtBuild, warehouse: WarehouseProcess) -> None:
    money = _money_columns(warehouse)
    built = _warehouse_columns(warehouse)

    assert len(money) >= 25, sorted(money)
    assert {column: built.get(column) for column in money if not CENTS.match(built.get(column, ""))} == {}
    named_like_money = {column for column in built if AMOUNT.search(column.rsplit(".", 1)[1])
                        and not RATIO.search(column.rsplit(".", 1)[1])}  # fmt: skip
    assert {column: built[column] for column in named_like_money - set(money)} == {}


def test_no_money_value_in_any_mart_shows_more_than_two_decimals(marts: DbtBuild, warehouse: WarehouseProcess) -> None:
    client = connect(warehouse)
    noisy = {}
    for column in _money_columns(warehouse):
        table, name = column.rsplit(".", 1)
        scanned, with_noise = client.query(
            f"SELECT count(), countIf(match(toString(`{name}`), '\\\\.[0-9]{{3,}}')) FROM {table}"
        ).result_rows[0]
        assert scanned > 0, f"{table} has no rows to scan"
        if with_noise:
            noisy[column] = with_noise

    assert noisy == {}
