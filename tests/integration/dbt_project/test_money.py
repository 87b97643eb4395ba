"""Money in the marts is exact: every amount is a decimal in cents, and no value of one shows binary noise."""

from __future__ import annotations

import re

import pytest

from lakehouse.dbt import DbtBuild
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect
from tests.integration.dbt_project.test_dbt_build import MARTS

pytestmark = pytest.mark.integration

AMOUNT = re.compile(r"sales_value|discount|monetary_value|basket_value|spend")
"""Column names that hold an amount of money ..."""
RATIO = re.compile(r"lift|share|depth|growth|rate")
"""... unless they are a ratio of amounts (a Float64 by design)."""
CENTS = re.compile(r"^(Nullable\()?Decimal\((18|38), 2\)\)?$")


def _money_columns(warehouse: WarehouseProcess) -> dict[str, str]:
    databases = ", ".join(f"'{database}'" for database in MARTS)
    rows = connect(warehouse).query(
        f"SELECT database || '.' || table, name, type FROM system.columns WHERE database IN ({databases})"
    )
    return {
        f"{table}.{name}": str(data_type)
        for table, name, data_type in rows.result_rows
        if AMOUNT.search(str(name)) and not RATIO.search(str(name))
    }


def test_every_money_column_of_every_mart_is_a_decimal_in_cents(marts: DbtBuild, warehouse: WarehouseProcess) -> None:
    money = _money_columns(warehouse)

    assert len(money) >= 25, sorted(money)
    assert {column: data_type for column, data_type in money.items() if not CENTS.match(data_type)} == {}


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
