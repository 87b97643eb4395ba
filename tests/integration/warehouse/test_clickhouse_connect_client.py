"""clickhouse-connect, the client dbt-clickhouse and most Python tools use, against the embedded warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(warehouse: WarehouseProcess) -> Iterator[Client]:
    client = connect(warehouse)
    client.command("CREATE DATABASE IF NOT EXISTS compat_client")
    client.command("DROP TABLE IF EXISTS compat_client.baskets")
    client.command(
        "CREATE TABLE compat_client.baskets (basket_id UInt64, department String, sales Float64, sold_at DateTime) "
        "ENGINE = MergeTree ORDER BY basket_id"
    )
    yield client
    client.close()


def test_query_returns_rows_with_column_names_and_types(admin: Client) -> None:
    result = admin.query("SELECT number AS n, toString(number) AS s FROM numbers(3)")

    assert result.column_names == ("n", "s")
    assert [type_.name for type_ in result.column_types] == ["UInt64", "String"]
    assert result.result_rows == [(0, "0"), (1, "1"), (2, "2")]


def test_query_df_and_query_arrow_keep_dates_and_numbers(admin: Client) -> None:
    frame = admin.query_df("SELECT number AS n, toDate('2024-01-01') + number AS day FROM numbers(2)")
    table = admin.query_arrow("SELECT number AS n FROM numbers(4)")

    assert frame["day"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")]
    assert table.column("n").to_pylist() == [0, 1, 2, 3]


def test_insert_of_rows_and_of_a_frame_writes_them_all(admin: Client) -> None:
    summary = admin.insert(
        "compat_client.baskets",
        [[1, "DAIRY", 2.5, dt.datetime(2024, 1, 1, 9)], [2, "FUEL", 40.0, dt.datetime(2024, 1, 1, 10)]],
        column_names=["basket_id", "department", "sales", "sold_at"],
    )
    frame = pd.DataFrame(
        {
            "basket_id": [3, 4],
            "department": ["PRODUCE", "DAIRY"],
            "sales": [1.0, 3.0],
            "sold_at": pd.to_datetime(["2024-01-02 08:00", "2024-01-02 09:00"]),
        }
    )
    admin.insert_df("compat_client.baskets", frame)

    assert summary.written_rows == 2
    rows = admin.query("SELECT department, sum(sales) FROM compat_client.baskets GROUP BY 1 ORDER BY 1").result_rows
    assert rows == [("DAIRY", 5.5), ("FUEL", 40.0), ("PRODUCE", 1.0)]


@pytest.mark.parametrize("compression", ["lz4", "zstd", "gzip", False])
def test_inserts_arrive_whole_whichever_compression_the_client_sends(
    warehouse: WarehouseProcess, admin: Client, compression: str | bool
) -> None:
    client = connect(warehouse, compress=compression)
    rows = [[number, "DAIRY", float(number), dt.datetime(2024, 1, 1)] for number in range(5_000)]

    client.insert("compat_client.baskets", rows, column_names=["basket_id", "department", "sales", "sold_at"])

    assert admin.query("SELECT count(), sum(basket_id) FROM compat_client.baskets").result_rows == [
        (5_000, sum(range(5_000)))
    ]


def test_command_runs_ddl_and_returns_its_answer(admin: Client) -> None:
    admin.command("CREATE TABLE IF NOT EXISTS compat_client.scratch (x UInt8) ENGINE = Memory")

    assert admin.command("EXISTS TABLE compat_client.scratch") == 1
    admin.command("DROP TABLE compat_client.scratch")
    assert admin.command("EXISTS TABLE compat_client.scratch") == 0


def test_server_side_and_client_side_parameters_are_bound(admin: Client) -> None:
    server_side = admin.query("SELECT {week:UInt8} + 1, {name:String}", parameters={"week": 41, "name": "o'brien"})
    client_side = admin.query("SELECT %(week)s + 1, %(name)s", parameters={"week": 41, "name": "o'brien"})

    assert server_side.result_rows == [(42, "o'brien")]
    assert client_side.result_rows == [(42, "o'brien")]


def test_a_session_keeps_its_temporary_tables_and_settings_from_other_clients(warehouse: WarehouseProcess) -> None:
    first, second = connect(warehouse), connect(warehouse)
    first.command("CREATE TEMPORARY TABLE picked (product_id UInt32)")
    first.command("INSERT INTO picked VALUES (7), (9)")
    first.command("SET max_threads = 1")

    assert first.query("SELECT sum(product_id) FROM picked").result_rows == [(16,)]
    assert first.query("SELECT getSetting('max_threads')").result_rows == [(1,)]
    with pytest.raises(DatabaseError, match="UNKNOWN_TABLE"):
        second.query("SELECT * FROM picked")
    assert second.query("SELECT getSetting('max_threads') = 1").result_rows == [(0,)]


def test_per_query_settings_apply_to_that_query_only(admin: Client) -> None:
    assert admin.query("SELECT getSetting('max_threads')", settings={"max_threads": 1}).result_rows == [(1,)]
    assert admin.query("SELECT getSetting('max_threads') = 1").result_rows == [(0,)]


def test_a_server_error_is_a_database_error_carrying_the_clickhouse_code(admin: Client) -> None:
    with pytest.raises(DatabaseError) as syntax:
        admin.query("SELEC 1")
    with pytest.raises(DatabaseError) as unknown_table:
        admin.query("SELECT * FROM compat_client.no_such_table")

    assert "Code: 62" in str(syntax.value) and "SYNTAX_ERROR" in str(syntax.value)
    assert "Code: 60" in str(unknown_table.value) and "UNKNOWN_TABLE" in str(unknown_table.value)


def test_a_large_result_streams_in_blocks_to_the_last_row(admin: Client) -> None:
    with admin.query_row_block_stream("SELECT number FROM numbers(2000000)") as blocks:
        seen = [(len(block), block[-1][0]) for block in blocks]

    assert sum(size for size, _ in seen) == 2_000_000
    assert len(seen) > 1
    assert seen[-1][1] == 1_999_999
