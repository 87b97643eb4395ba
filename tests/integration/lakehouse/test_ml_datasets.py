"""Training datasets cut from the ingested sample's silver: the channels, the households they may hold, the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from governance.delta_read import read_delta
from governance.erasure import mark_pending
from governance.policy import default_policy
from lakehouse.ingest import IngestSummary, lake_layout
from lakehouse.ml_datasets import (
    MANIFEST_FILE,
    RECOMMEND_WEEKS,
    DatasetInputError,
    datasets_holding,
    erase_from_datasets,
    extract_dataset,
)
from lakehouse.settings import Settings
from ml.training import offer_response
from ml.training.offer_features import labelled_pairs
from ml.training.script_mode import TrainingEnvironment

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(local_settings: Settings, ingested_local: IngestSummary, tmp_path: Path) -> Settings:
    """The shared sample's lake, with datasets and the erasure register in this test's own folder."""
    return local_settings.model_copy(update={"data_dir": tmp_path})


def _silver(settings: Settings, name: str, version: int, columns: list[str]) -> pa.Table:
    layout = lake_layout(settings)
    table = layout.open_table(layout.silver(name), version)
    assert table is not None
    return read_delta(table, columns)


def _households(folder: Path) -> set[int]:
    return set(pq.read_table(folder, columns=["household_id"])["household_id"].to_pylist())


def _consenting(settings: Settings, version: int) -> set[int]:
    customers = _silver(settings, "customers", version, ["household_id", "marketing_consent"])
    return set(customers.filter(pc.equal(customers["marketing_consent"], True))["household_id"].to_pylist())


def test_the_recommenders_channels_split_the_weeks_and_hold_only_consenting_households(settings: Settings) -> None:
    dataset = extract_dataset(settings, "recommend")
    manifest = dataset.manifest
    consenting = _consenting(settings, manifest.delta_versions["customers"])
    silver = _silver(settings, "transactions", manifest.delta_versions["transactions"], ["household_id", "week"])

    assert manifest.households["without_consent"] >= 1, "the sample has a household without consent to leave out"
    assert manifest.households["eligible"] == len(consenting)
    assert manifest.policy_version == default_policy().version
    layout = lake_layout(settings)
    for name, version in manifest.delta_versions.items():
        current = layout.open_table(layout.silver(name))
        assert current is not None and current.version() == version, name
    for channel, (first, last) in RECOMMEND_WEEKS.items():
        lines = pq.read_table(dataset.channels[channel])
        weeks = lines["week"].to_pylist()
        assert first <= min(weeks) and max(weeks) <= last, channel
        assert _households(dataset.channels[channel]) <= consenting, channel
        assert manifest.channels[channel]["rows"] == lines.num_rows
        assert lines.column_names == ["household_id", "product_id", "week", "retailer_id"]
        assert lines["retailer_id"].null_count == 0
    kept = silver.filter(pc.is_in(silver["household_id"], value_set=pa.array(sorted(consenting), pa.int64())))
    assert sum(manifest.channels[channel]["rows"] for channel in RECOMMEND_WEEKS) == kept.num_rows


def test_cutting_again_reuses_the_dataset_until_a_household_is_erased(settings: Settings) -> None:
    first = extract_dataset(settings, "recommend")
    again = extract_dataset(settings, "recommend")
    erased = sorted(_households(first.channels["train"]))[0]
    mark_pending(settings.erasure_receipts_dir, "request-1", erased)
    after = extract_dataset(settings, "recommend")

    assert (first.reused, again.reused, again.folder) == (False, True, first.folder)
    assert after.manifest.version != first.manifest.version and not after.reused
    assert after.manifest.households["erased"] == 1
    assert all(erased not in _households(folder) for folder in after.channels.values())


def test_the_offer_channels_are_what_the_entry_point_reads(settings: Settings) -> None:
    dataset = extract_dataset(settings, "offer_response")
    tables = offer_response.read_tables(TrainingEnvironment(dataset.channels, Path(), Path(), Path()))
    consenting = _consenting(settings, dataset.manifest.delta_versions["customers"])

    assert sorted(dataset.channels) == sorted(offer_response.CHANNELS)
    for name, columns in offer_response.CHANNELS.items():
        assert pq.read_schema(dataset.channels[name] / "part-0.parquet").names == list(columns), name
        if "household_id" in columns:
            assert _households(dataset.channels[name]) <= consenting, name
    assert tables.lines["transaction_at"].dt.tz is None, "timestamps arrive as UTC wall time"
    pairs = labelled_pairs(tables)
    assert len(pairs) == dataset.manifest.channels["targeted"]["rows"]
    assert pairs["start_date"].notna().all()


def test_a_lake_without_silver_is_named_with_the_fix(tmp_path: Path) -> None:
    empty = Settings(data_dir=tmp_path)

    with pytest.raises(
        DatasetInputError, match=r"silver table customers does not exist under .*: run `lakehouse ingest`"
    ):
        extract_dataset(empty, "recommend")


def test_erasing_rewrites_every_kept_dataset_without_the_household(settings: Settings) -> None:
    recommend, offers = extract_dataset(settings, "recommend"), extract_dataset(settings, "offer_response")
    household = sorted(_households(recommend.channels["train"]))[0]
    rows_before = {name: pq.read_table(folder).num_rows for name, folder in recommend.channels.items()}

    removed = erase_from_datasets(settings, {household})

    assert {path.parent.parent for path, _, _ in removed} == {recommend.folder, offers.folder}
    assert {held for _, held, _ in removed} == {household}
    assert datasets_holding(settings, {household}) == []
    manifest = json.loads((recommend.folder / MANIFEST_FILE).read_text())
    for name, folder in recommend.channels.items():
        rows = pq.read_table(folder).num_rows
        assert manifest["channels"][name]["rows"] == rows
        assert rows_before[name] - rows == sum(count for path, _, count in removed if path.parent == folder)
        assert _households(folder), f"{name} keeps the other households"
    assert manifest["households"]["erased_since_cut"] == 1
    assert not list(recommend.folder.glob("*/.*")), "no half-written file is left"
