"""The analyst login reads everything and writes nothing; the engine enforces it, not SQL parsing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import ANALYST, connect, curl, split_response

pytestmark = pytest.mark.integration

TABLE = "compat_access.sales"


@pytest.fixture(scope="module")
def admin(warehouse: WarehouseProcess) -> Client:
    client = connect(warehouse)
    client.command("CREATE DATABASE IF NOT EXISTS compat_access")
    client.command(f"CREATE TABLE IF NOT EXISTS {TABLE} (week UInt8, sales Float64) ENGINE = MergeTree ORDER BY week")
    client.command(f"TRUNCATE TABLE {TABLE}")
    client.command(f"INSERT INTO {TABLE} VALUES (1, 10.5), (2, 20.25)")
    return client


@pytest.fixture(scope="module")
def analyst(warehouse: WarehouseProcess, admin: Client) -> Client:
    return connect(warehouse, *ANALYST)


def _contents(admin: Client) -> list[Sequence[object]]:
    return list(admin.query(f"SELECT week, sales FROM {TABLE} ORDER BY week").result_rows)


def test_the_analyst_reads_the_tables(analyst: Client) -> None:
    assert analyst.query(f"SELECT sum(sales) FROM {TABLE}").result_rows == [(30.75,)]


@pytest.mark.parametrize(
    "statement",
    [
        f"INSERT INTO {TABLE} VALUES (3, 1.0)",
        f"ALTER TABLE {TABLE} DELETE WHERE week = 1",
        f"DELETE FROM {TABLE} WHERE week = 1",
        f"TRUNCATE TABLE {TABLE}",
        f"DROP TABLE {TABLE}",
        "CREATE TABLE compat_access.mine (x UInt8) ENGINE = Memory",
        f"INSERT INTO {TABLE} SELECT 9, 9.0",
        "SET readonly = 0",
    ],
)
def test_the_analyst_cannot_write_and_nothing_changes(admin: Client, analyst: Client, statement: str) -> None:
    before = _contents(admin)

    with pytest.raises(DatabaseError, match="Code: 164") as refused:
        analyst.command(statement)

    assert "READONLY" in str(refused.value)
    assert _contents(admin) == before


def test_the_analyst_cannot_lift_readonly_through_url_settings(warehouse: WarehouseProcess, admin: Client) -> None:
    """clickhouse-connect refuses to send this itself, so curl sends it."""
    answer = curl(
        warehouse, "/?readonly=0", "-u", ":".join(ANALYST), "--data-binary", f"INSERT INTO {TABLE} VALUES (4, 4.0)"
    )
    status, headers, body = split_response(answer.stdout)

    assert (status, headers["x-clickhouse-exception-code"]) == (403, "164")
    assert "Cannot modify 'readonly' setting in readonly mode" in body
    assert len(_contents(admin)) == 2


def test_the_analyst_cannot_insert_through_the_insert_api(admin: Client, analyst: Client) -> None:
    with pytest.raises(DatabaseError, match="Code: 164"):
        analyst.insert(TABLE, [[5, 5.0]], column_names=["week", "sales"])

    assert len(_contents(admin)) == 2


def test_a_wrong_password_is_refused_as_clickhouse_refuses_it(warehouse: WarehouseProcess) -> None:
    with pytest.raises(DatabaseError) as refused:
        connect(warehouse, "analyst", "not-the-password")

    assert "Code: 516" in str(refused.value) and "AUTHENTICATION_FAILED" in str(refused.value)


def test_an_unknown_user_is_refused(warehouse: WarehouseProcess) -> None:
    with pytest.raises(DatabaseError, match="Code: 516"):
        connect(warehouse, "mallory", "")
