"""Which version of a landing file the landing's figures count, and how a difference is named."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from lakehouse.reconciliation import SCHEMA, LedgerEntry, compare_weeks, first_difference, ingested_version

pytestmark = pytest.mark.unit

PATH = "transactions/week_05/transactions_week05.parquet"


def _entry(checksum: str, batch: str, hour: int) -> LedgerEntry:
    return LedgerEntry(PATH, checksum, batch, datetime(2026, 12, 1, hour))


def test_a_file_erasure_rewrote_counts_as_the_ingestion_it_came_from() -> None:
    ingested, rewritten = _entry("a", "batch-1", 1), _entry("b", "erasure:req-1", 2)
    twice = _entry("c", "erasure:req-2", 3)

    assert ingested_version([ingested, rewritten, twice], "c") == ingested


def test_a_corrected_file_counts_as_its_own_ingestion_and_contents_never_ingested_not_at_all() -> None:
    first, corrected = _entry("a", "batch-1", 1), _entry("b", "batch-2", 2)

    assert ingested_version([first, corrected], "b") == corrected
    assert ingested_version([first, corrected], "landed-since") is None


def _weeks(*rows: tuple[int, int, int]) -> pa.Table:
    """Weeks of (week, lines, cents); baskets, households and units follow the lines."""
    return pa.Table.from_pylist(
        [{"week": week, "lines": lines, "baskets": lines, "households": lines, "units": lines,
          "sales_value": Decimal(cents) / 100} for week, lines, cents in rows],
        schema=SCHEMA,
    )  # fmt: skip


def test_the_first_difference_names_the_week_the_figure_and_both_values() -> None:
    landing = _weeks((1, 10, 1000), (2, 20, 123456), (3, 30, 3000))
    marts = _weeks((1, 10, 1000), (2, 20, 123455), (3, 29, 3000))

    weeks = compare_weeks(landing, marts)

    assert [week.differences for week in weeks] == [[], ["sales_value"], ["lines", "baskets", "households", "units"]]
    assert first_difference(weeks) == (
        "week 2: sales_value 1,234.55 in category.fct_sales_lines against 1,234.56 in the landing"
    )


def test_a_week_only_one_side_holds_is_a_difference_and_equal_sides_have_none() -> None:
    landing = _weeks((1, 10, 1000), (2, 20, 2000))

    assert first_difference(compare_weeks(landing, _weeks((1, 10, 1000)))) == (
        "week 2: lines 0 in category.fct_sales_lines against 20 in the landing"
    )
    assert first_difference(compare_weeks(landing, landing)) is None
