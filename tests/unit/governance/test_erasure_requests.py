"""Erasure requests are checked line by line before any is acted on; receipts are written once."""

from __future__ import annotations

from pathlib import Path

import pytest

from governance.erasure import (
    ErasureReceipt,
    ErasureRequest,
    ErasureRequestError,
    RemovedRows,
    clear_pending,
    erased_households,
    mark_pending,
    pending_households,
    read_erasure_requests,
    read_receipts,
    write_receipt,
)

pytestmark = pytest.mark.unit


def _receipt(household: int, request_id: str) -> ErasureReceipt:
    return ErasureReceipt(
        request_id=request_id,
        household_id=household,
        reference="",
        requested_by="dpo",
        policy_version=3,
        code_version="abc",
        started_at="2026-11-26T06:00:00+00:00",
        finished_at="2026-11-26T06:01:00+00:00",
        removed=[RemovedRows("silver", "silver/transactions", 12, history_purged=True)],
    )


def test_a_requests_file_gives_one_request_per_household_with_its_reference(tmp_path: Path) -> None:
    requests = tmp_path / "requests.csv"
    requests.write_text("household_id,reference\n42,ticket-7\n1588,\n42,ticket-7 again\n")

    assert read_erasure_requests(requests) == [ErasureRequest(42, "ticket-7"), ErasureRequest(1588, "")]


def test_a_bad_household_id_refuses_the_file_naming_the_line_and_field(tmp_path: Path) -> None:
    requests = tmp_path / "requests.csv"
    requests.write_text("household_id\n42\nforty-three\n")

    with pytest.raises(ErasureRequestError, match=r"requests.csv: line 3: field household_id 'forty-three' is not"):
        read_erasure_requests(requests)


def test_a_file_without_a_household_id_column_is_refused(tmp_path: Path) -> None:
    requests = tmp_path / "requests.csv"
    requests.write_text("customer\n42\n")

    with pytest.raises(ErasureRequestError, match="line 1: the header must name a household_id column"):
        read_erasure_requests(requests)


def test_a_receipt_is_never_overwritten_and_the_receipts_are_the_register(tmp_path: Path) -> None:
    write_receipt(tmp_path, _receipt(42, "r1"))

    with pytest.raises(FileExistsError):
        write_receipt(tmp_path, _receipt(43, "r1"))
    assert [receipt.household_id for receipt in read_receipts(tmp_path)] == [42]
    assert erased_households(tmp_path) == {42}
    assert read_receipts(tmp_path)[0].rows_by_zone() == {"silver": 12}


def test_a_started_erasure_is_in_the_register_as_pending_until_its_receipt_replaces_it(tmp_path: Path) -> None:
    mark_pending(tmp_path, "interrupted", 7)
    mark_pending(tmp_path, "rerun", 7)

    assert (pending_households(tmp_path), erased_households(tmp_path)) == ({7}, {7})
    write_receipt(tmp_path, _receipt(7, "rerun"))
    clear_pending(tmp_path, "rerun", 7)
    assert (pending_households(tmp_path), erased_households(tmp_path)) == (set(), {7})
