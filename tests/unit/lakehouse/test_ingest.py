"""A run for one week of a weekly feed refuses to report "nothing new" when the week's landing file is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyarrow import fs

from lakehouse.ingest import MissingLandingFileError, require_files_of_the_week
from lakehouse.landing.land import LandingManifest, write_manifest
from lakehouse.landing.storage import LandingStore
from spark_jobs.landing_files import LandingFile
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.unit

WEEK_12 = "transactions/week_12/transactions_week12.parquet"


def _store(root: Path) -> LandingStore:
    root.mkdir(parents=True, exist_ok=True)
    return LandingStore(fs.LocalFileSystem(), str(root), str(root))


def _found(*paths: str) -> list[LandingFile]:
    return [LandingFile("transactions", path, path, "0" * 64, 1) for path in paths]


def test_a_file_the_manifest_lists_for_the_week_but_landing_lacks_is_named(tmp_path: Path) -> None:
    store = _store(tmp_path / "landing")
    write_manifest(store, LandingManifest(households=None, seed=1, files={WEEK_12: 10}))

    with pytest.raises(MissingLandingFileError) as raised:
        require_files_of_the_week(store, TABLES["transactions"], 12, _found())

    expected = f"landing file {tmp_path / 'landing' / WEEK_12} is missing: the landing manifest lists it"
    assert str(raised.value).startswith(f"{expected} for transactions week 12")


def test_a_week_the_manifest_lists_nothing_for_needs_no_file(tmp_path: Path) -> None:
    store = _store(tmp_path / "landing")
    write_manifest(store, LandingManifest(households=None, seed=1, files={WEEK_12: 10}))

    require_files_of_the_week(store, TABLES["transactions"], 13, _found())


def test_a_late_file_beside_the_listed_one_is_welcome(tmp_path: Path) -> None:
    store = _store(tmp_path / "landing")
    write_manifest(store, LandingManifest(households=None, seed=1, files={WEEK_12: 10}))

    require_files_of_the_week(
        store, TABLES["transactions"], 12, _found(WEEK_12, WEEK_12.replace(".parquet", "_late.parquet"))
    )


def test_without_a_manifest_a_week_with_no_file_at_all_is_named_by_its_folder(tmp_path: Path) -> None:
    store = _store(tmp_path / "landing")

    with pytest.raises(
        MissingLandingFileError, match=r"no landing file for transactions week 12: .*/transactions/week_12/ holds none"
    ):
        require_files_of_the_week(store, TABLES["transactions"], 12, _found())
