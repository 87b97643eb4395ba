"""The search of lake files that spares Spark: exact for plain keys, never narrower than Spark's test."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from lakehouse.erasure_search import keys_may_hold, may_hold, record_may_hold
from lakehouse.settings import Settings

pytestmark = pytest.mark.unit


def test_typed_keys_are_matched_exactly() -> None:
    assert keys_may_hold(pa.array([119, 190, None], pa.int64()), [19]) is False
    assert keys_may_hold(pa.array([119, 19], pa.int64()), [7, 19]) is True


@pytest.mark.parametrize(
    ("received", "holds"),
    [
        (["119", "190", None], False),
        ([" 19 "], True),
        (["0019"], True),
        (["+19"], True),
        (["19.0"], True),
        (["nineteen"], False),
        (["1919x"], True),
    ],
)
def test_keys_as_received_are_exact_when_plain_and_wider_when_not(received: list[str | None], holds: bool) -> None:
    """Spark casts ``try_cast(household_id as bigint)``; a spelling it might read as 19 is never ruled out."""
    assert keys_may_hold(pa.array(received, pa.string()), [19]) is holds


@pytest.mark.parametrize(
    ("record", "holds"),
    [
        ('{"household_id": 19, "basket_id": 7}', True),
        ('{"household_id": "19"}', True),
        ('{"household_id": 19.0}', True),
        ('{"household_id": 119, "basket_id": 19, "store_id": 19}', False),
        ('{"basket_id": 19}', False),
        ('{"household_id": null, "basket_id": 19}', False),
        ('{"household_id": "\\u0031\\u0039"}', True),
        ('{"household_id": 7, "household_id": 19}', True),
        ('{"\\u0068ousehold_id": 19}', True),
        ('{"household_id": 19, broken', True),
        ("a line that is not JSON, 19", False),
    ],
)
def test_a_quarantined_record_is_judged_by_its_household_id_field(record: str, holds: bool) -> None:
    assert record_may_hold(record, [19]) is holds


def test_a_household_left_only_in_an_earlier_version_is_still_found(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    table = str(tmp_path / "lake" / "silver" / "customers")
    write_deltalake(table, pa.table({"household_id": pa.array([1, 2], pa.int64())}))
    write_deltalake(table, pa.table({"household_id": pa.array([1], pa.int64())}), mode="overwrite")

    assert may_hold(settings, table, [2]) is True
    assert may_hold(settings, table, [3]) is False
    assert may_hold(settings, str(tmp_path / "lake" / "silver" / "never_written"), [2]) is False


def test_a_file_without_the_key_column_holds_no_household(tmp_path: Path) -> None:
    table = str(tmp_path / "quarantine" / "stores")
    write_deltalake(table, pa.table({"store_id": pa.array([19], pa.int64())}))

    assert may_hold(Settings(data_dir=tmp_path), table, [19], in_json_record=True) is False
