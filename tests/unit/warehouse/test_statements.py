"""What the server reads from SQL text: where an INSERT's data starts, the format named, INTO OUTFILE."""

from __future__ import annotations

import pytest

from warehouse.formats import is_streamable, output_format
from warehouse.statements import InsertStatement, read_statement, split_insert, with_user_functions

pytestmark = pytest.mark.unit


def test_an_insert_with_a_format_is_split_into_statement_format_and_data() -> None:
    text = b"INSERT INTO db.t (a, b) FORMAT CSV\n1,2\n"

    split = split_insert(text)

    assert split == InsertStatement("INSERT INTO db.t (a, b)", "CSV", len(b"INSERT INTO db.t (a, b) FORMAT CSV\n"))
    assert text[split.data_offset :] == b"1,2\n"


def test_binary_data_after_the_format_clause_is_left_untouched() -> None:
    text = b"insert into t format Native\n\x00\xff\x01"

    split = split_insert(text)

    assert split is not None and split.format_name == "Native"
    assert text[split.data_offset :] == b"\x00\xff\x01"


def test_an_insert_with_values_streams_its_tuples_in_the_values_format() -> None:
    text = b"INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')"

    split = split_insert(text)

    assert split is not None and (split.statement, split.format_name) == ("INSERT INTO t (a, b)", "Values")
    assert text[split.data_offset :] == b" (1, 'x'), (2, 'y')"


def test_format_inside_a_string_or_comment_is_data_not_a_clause() -> None:
    text = b"INSERT INTO t VALUES (1, 'a FORMAT b') -- FORMAT CSV"

    split = split_insert(text)

    assert split is not None and split.format_name == "Values"


@pytest.mark.parametrize("text", [b"INSERT INTO t SELECT 1", b"SELECT 1 FORMAT CSV", b"INSERT INTO t FORMAT"])
def test_statements_without_inline_data_are_not_split(text: bytes) -> None:
    assert split_insert(text) is None


def test_the_querys_own_format_clause_wins_over_default_format() -> None:
    assert output_format(read_statement("SELECT 1 FORMAT JSONEachRow;"), "CSV") == "JSONEachRow"
    assert output_format(read_statement("SELECT 1 FORMAT JSON SETTINGS max_threads = 1"), None) == "JSON"
    assert output_format(read_statement("SELECT 1"), "CSV") == "CSV"
    assert output_format(read_statement("SELECT 1"), None) == "TabSeparated"
    assert output_format(read_statement("SELECT 'FORMAT CSV' FORMAT JSON\n-- a note"), None) == "JSON"
    assert output_format(read_statement("SELECT 'FORMAT CSV' AS s"), "TSV") == "TSV"


def test_into_outfile_is_found_outside_strings_only() -> None:
    assert read_statement("SELECT 1 INTO  OUTFILE '/tmp/x'").writes_server_file
    assert read_statement("select 1 into\noutfile 'x' APPEND").writes_server_file
    assert not read_statement("SELECT 'INTO OUTFILE' AS s").writes_server_file
    assert not read_statement("SELECT 1 /* INTO OUTFILE 'x' */").writes_server_file


def test_only_headerless_row_formats_of_selects_stream() -> None:
    assert is_streamable("Native") and is_streamable("jsoneachrow")
    assert not is_streamable("CSVWithNames") and not is_streamable("Parquet") and not is_streamable("JSON")
    assert read_statement("  (SELECT 1)").returns_rows and read_statement("WITH 1 AS x SELECT x").returns_rows
    assert (
        read_statement('/* {"app": "dbt"} */ select 1').returns_rows
        and read_statement("-- note\nSELECT 1").returns_rows
    )
    assert (
        not read_statement("DESCRIBE TABLE t").returns_rows
        and not read_statement("INSERT INTO t SELECT 1").returns_rows
    )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1;",
        "SELECT 1 ; -- done\n",
        "SELECT 'a; b'",
        "ALTER TABLE t MODIFY COMMENT $dbt$The store's key; every week$dbt$, COMMENT COLUMN a $$it's; fine$$",
        "SELECT `odd;name` FROM t /* ; */",
    ],
)
def test_one_statement_may_end_in_a_semicolon_and_hold_them_in_strings(sql: str) -> None:
    assert not read_statement(sql).several_statements


@pytest.mark.parametrize(
    "sql", ["SET log_comment = 'x'; SELECT 1", "SELECT 1; SELECT 2;", "SELECT $$a$$; DROP TABLE t"]
)
def test_a_second_statement_is_found(sql: str) -> None:
    assert read_statement(sql).several_statements


def test_current_user_calls_become_the_platform_user_outside_strings_and_names() -> None:
    sql = "SELECT currentUser(), user ( ), 'currentUser()', `user`, CURRENT_USER() FROM t WHERE user = 'x' -- user()"

    assert with_user_functions(sql, "analyst") == (
        "SELECT 'analyst', 'analyst', 'currentUser()', `user`, 'analyst' FROM t WHERE user = 'x' -- user()"
    )
