"""Erasure in landing: a file loses the household's rows and nothing else, in its own format."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyarrow import fs

from governance.policy import LandingErasure
from lakehouse.landing.erase import LandingErasureError, erase_from_landing, landing_files_holding
from lakehouse.landing.land import LandingManifest, read_manifest, write_manifest
from lakehouse.landing.storage import LandingStore

pytestmark = pytest.mark.unit

CUSTOMERS = (
    '"household_id","first_name","street_address"\n1,"Ann","1 High St, Leeds"\n2,"Bob","2 Low Rd"\n3,"Cy","3 Mill Ln"\n'
)


@pytest.fixture
def store(tmp_path: Path) -> LandingStore:
    local = fs.LocalFileSystem()
    (tmp_path / "customers").mkdir()
    (tmp_path / "customers" / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "customer_feedback" / "week_02").mkdir(parents=True)
    lines = [
        {"feedback_id": "f1", "household_id": 2, "text": "hi"},
        {"feedback_id": "f2", "household_id": 3, "text": "yo"},
    ]
    (tmp_path / "customer_feedback" / "week_02" / "customer_feedback_week02.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines)
    )
    (tmp_path / "transactions" / "week_02").mkdir(parents=True)
    pq.write_table(
        pa.table({"household_id": pa.array([2, 2], pa.int64()), "basket_id": pa.array([7, 8], pa.int64())}),
        tmp_path / "transactions" / "week_02" / "transactions_week02.parquet",
    )
    store = LandingStore(local, str(tmp_path), str(tmp_path))
    write_manifest(
        store,
        LandingManifest(
            households=3,
            seed=1,
            files={
                "customers/customers.csv": 3,
                "customer_feedback/week_02/customer_feedback_week02.jsonl": 2,
                "transactions/week_02/transactions_week02.parquet": 2,
            },
        ),
    )
    return store


def test_rewriting_keeps_every_other_line_byte_for_byte_and_removes_emptied_files(store: LandingStore) -> None:
    results = erase_from_landing(store, {2}, LandingErasure.REWRITE)

    root = Path(store.root)
    assert (root / "customers" / "customers.csv").read_text() == CUSTOMERS.replace('2,"Bob","2 Low Rd"\n', "")
    [kept] = (root / "customer_feedback" / "week_02" / "customer_feedback_week02.jsonl").read_text().splitlines()
    assert json.loads(kept)["household_id"] == 3
    assert not (root / "transactions" / "week_02" / "transactions_week02.parquet").exists()
    assert {(result.relative_path, result.action, result.rows_removed) for result in results} == {
        ("customers/customers.csv", "rewritten", 1),
        ("customer_feedback/week_02/customer_feedback_week02.jsonl", "rewritten", 1),
        ("transactions/week_02/transactions_week02.parquet", "removed", 2),
    }
    manifest = read_manifest(store)
    assert manifest is not None
    assert manifest.files == {
        "customers/customers.csv": 2,
        "customer_feedback/week_02/customer_feedback_week02.jsonl": 1,
    }
    assert landing_files_holding(store, "customers", {2}) == []


def test_the_delete_policy_removes_every_file_that_held_the_household(store: LandingStore) -> None:
    erase_from_landing(store, {3}, LandingErasure.DELETE)

    root = Path(store.root)
    assert not (root / "customers" / "customers.csv").exists()
    assert not (root / "customer_feedback" / "week_02" / "customer_feedback_week02.jsonl").exists()
    table = pq.read_table(io.BytesIO((root / "transactions" / "week_02" / "transactions_week02.parquet").read_bytes()))
    assert table.num_rows == 2


def test_a_household_in_no_file_changes_nothing(store: LandingStore) -> None:
    assert erase_from_landing(store, {99}, LandingErasure.REWRITE) == []
    assert (Path(store.root) / "customers" / "customers.csv").read_text() == CUSTOMERS


def test_a_damaged_json_line_is_matched_by_its_text_and_removed(store: LandingStore) -> None:
    feedback = Path(store.root) / "customer_feedback" / "week_02" / "customer_feedback_week02.jsonl"
    feedback.write_text(feedback.read_text() + '{"feedback_id": "f3", "household_id": 3, "text": "cut off\n')

    erase_from_landing(store, {3}, LandingErasure.REWRITE)

    [kept] = feedback.read_text().splitlines()
    assert json.loads(kept)["household_id"] == 2


def test_a_file_that_cannot_be_read_stops_the_erasure_naming_it(store: LandingStore) -> None:
    damaged = Path(store.root) / "transactions" / "week_02" / "transactions_week02.parquet"
    damaged.write_bytes(damaged.read_bytes()[:40])

    with pytest.raises(LandingErasureError, match=r"transactions_week02.parquet: cannot be read to erase households"):
        erase_from_landing(store, {2}, LandingErasure.REWRITE)
