"""Training datasets cut from silver as the models' channels, with a manifest of what they were cut from.

A dataset is a folder per channel of Parquet under
``<data_dir>/ml/datasets/<model>/<version>/`` beside ``manifest.json``: the
rows and weeks of each channel, the Delta version of every silver table read,
the PII policy's version and the households left out. Only households that
gave marketing consent and are not in the erasure register are in any channel.
The version is a digest of those inputs (each table's Delta id and version, so
the same versions of another lake differ), so cutting again from an unchanged
lake finds the dataset already there instead of writing a copy.

The columns are the entry points' channel contracts (``ml.training``); the
keys are silver's pseudonymous household ids.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from governance.delta_read import read_delta
from governance.erasure import erased_households
from governance.policy import default_policy
from lakehouse.ingest import lake_layout
from lakehouse.settings import Settings
from ml.jobs import Model
from ml.training import offer_response
from ml.training.recommend import COLUMNS as RECOMMEND_COLUMNS

logger = logging.getLogger(__name__)

Reader = Callable[[list[str]], pa.Table]
"""A silver table's columns, read at the version the dataset records."""
MANIFEST_FILE = "manifest.json"
RECOMMEND_WEEKS = {"train": (1, 45), "validation": (46, 49), "test": (50, 53)}
"""The recommender's time split: fitted on 1-45, tuned on 46-49, judged on 50-53."""
SILVER_TABLES: Mapping[Model, tuple[str, ...]] = {
    "recommend": ("customers", "transactions", "stores"),
    "offer_response": (
        "customers", "transactions", "products", "campaigns", "campaign_descriptions", "coupon_redemptions",
        "demographics",
    ),
}  # fmt: skip


class DatasetInputError(RuntimeError):
    """A silver table a dataset needs is missing, or leaves a channel without rows."""


@dataclass(frozen=True)
class DatasetManifest:
    model: str
    version: str
    created_at: str
    channels: dict[str, dict[str, Any]]
    """Per channel: its rows, columns, empty cells per column, and (when weekly) its first and last week."""
    delta_versions: dict[str, int]
    policy_version: int
    households: dict[str, int] = field(default_factory=dict)
    """Eligible households, and those left out for want of consent or for being erased."""

    def channel_dirs(self, root: Path) -> dict[str, Path]:
        return {name: root / name for name in self.channels}


@dataclass(frozen=True)
class Dataset:
    folder: Path
    manifest: DatasetManifest
    reused: bool

    @property
    def channels(self) -> dict[str, Path]:
        return self.manifest.channel_dirs(self.folder)


def datasets_dir(settings: Settings) -> Path:
    return settings.data_dir / "ml" / "datasets"


@dataclass(frozen=True)
class SilverTable:
    version: int
    table_id: str
    """Delta's id of the table, new each time a table is created: the same version of another lake differs."""
    read: Reader


def _silver(settings: Settings, names: tuple[str, ...]) -> dict[str, SilverTable]:
    """Each table's current version, its Delta id, and a reader of its columns at that version."""
    layout = lake_layout(settings)
    opened: dict[str, SilverTable] = {}
    for name in names:
        table = layout.open_table(layout.silver(name))
        if table is None:
            raise DatasetInputError(f"silver table {name} does not exist under {layout.root}: run `lakehouse ingest`")
        opened[name] = SilverTable(table.version(), str(table.metadata().id), partial(read_delta, table))
    return opened


def _naive(table: pa.Table, column: str, renamed: str | None = None) -> pa.Table:
    """A UTC timestamp column as a plain one (UTC wall time), the way the entry points' frames take it."""
    index = table.schema.get_field_index(column)
    values = pc.cast(table[column], pa.timestamp("us"))
    return table.set_column(index, renamed or column, values)


def _eligible(customers: pa.Table, erased: set[int]) -> tuple[pa.Array, dict[str, int]]:
    """Households with marketing consent that are not erased, and how many were left out for each reason."""
    consenting = customers.filter(pc.equal(customers["marketing_consent"], True))["household_id"]
    kept = pc.unique(consenting).to_pylist()
    eligible = [household for household in kept if household not in erased]
    left_out = {
        "eligible": len(eligible),
        "without_consent": len(pc.unique(customers["household_id"])) - len(kept),
        "erased": len(kept) - len(eligible),
    }
    return pa.array(eligible, pa.int64()), left_out


def eligible_households(settings: Settings) -> pa.Array:
    """The households a model may learn from or score now: marketing consent in silver, and not erased."""
    [customers] = _silver(settings, ("customers",)).values()
    erased = erased_households(settings.erasure_receipts_dir)
    return _eligible(customers.read(["household_id", "marketing_consent"]), erased)[0]


def _of(households: pa.Array, table: pa.Table) -> pa.Table:
    return table.filter(pc.is_in(table["household_id"], value_set=households))


def _recommend_channels(read: Mapping[str, Reader], households: pa.Array) -> dict[str, pa.Table]:
    stores = read["stores"](["store_id", "retailer_id"])
    lines = _of(households, read["transactions"](["household_id", "product_id", "week", "store_id"]))
    lines = lines.join(stores, "store_id", join_type="left outer").select(list(RECOMMEND_COLUMNS))
    return {
        channel: lines.filter(pc.and_(pc.greater_equal(lines["week"], first), pc.less_equal(lines["week"], last)))
        for channel, (first, last) in RECOMMEND_WEEKS.items()
    }


def _offer_channels(read: Mapping[str, Reader], households: pa.Array) -> dict[str, pa.Table]:
    departments = read["products"](["product_id", "department"])
    lines = _of(
        households,
        read["transactions"](["household_id", "basket_id", "product_id", "sales_value", "transaction_timestamp"]),
    )
    lines = _naive(
        lines.join(departments, "product_id", join_type="left outer"), "transaction_timestamp", "transaction_at"
    )
    redemptions = _of(households, read["coupon_redemptions"](["household_id", "campaign_id", "redemption_date"]))
    campaigns = read["campaign_descriptions"](["campaign_id", "campaign_type", "start_date", "end_date"])
    tables = {
        "targeted": _of(households, read["campaigns"](["household_id", "campaign_id"])),
        "campaigns": _naive(_naive(campaigns, "start_date"), "end_date"),
        "redemptions": _naive(redemptions, "redemption_date", "redeemed_on"),
        "lines": lines,
        "demographics": _of(households, read["demographics"](list(offer_response.CHANNELS["demographics"]))),
    }
    return {name: tables[name].select(list(columns)) for name, columns in offer_response.CHANNELS.items()}


CHANNELS_OF: Mapping[Model, Callable[[Mapping[str, Reader], pa.Array], dict[str, pa.Table]]] = {
    "recommend": _recommend_channels,
    "offer_response": _offer_channels,
}


def _version(model: Model, silver: Mapping[str, SilverTable], policy_version: int, erased: set[int]) -> str:
    tables = {name: [table.table_id, table.version] for name, table in silver.items()}
    inputs = {"model": model, "delta": tables, "policy": policy_version, "erased": sorted(erased)}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]


def _described(table: pa.Table) -> dict[str, Any]:
    """Rows, columns, weeks, and the empty cells per column: a line whose store or product silver does not
    know keeps its row (the joins are left joins) and is counted here with no retailer or department."""
    description: dict[str, Any] = {"rows": table.num_rows, "columns": table.column_names}
    if nulls := {name: table[name].null_count for name in table.column_names if table[name].null_count}:
        description["nulls"] = nulls
    if "week" in table.column_names and table.num_rows:
        description["weeks"] = [int(pc.min(table["week"]).as_py()), int(pc.max(table["week"]).as_py())]
    return description


def extract_dataset(settings: Settings, model: Model) -> Dataset:
    """Cut ``model``'s channels from silver (or find them cut already from the same inputs)."""
    silver = _silver(settings, SILVER_TABLES[model])
    delta_versions = {name: table.version for name, table in silver.items()}
    policy_version = default_policy().version
    erased = erased_households(settings.erasure_receipts_dir)
    version = _version(model, silver, policy_version, erased)
    folder = datasets_dir(settings) / model / version
    if (folder / MANIFEST_FILE).is_file():
        manifest = DatasetManifest(**json.loads((folder / MANIFEST_FILE).read_text()))
        return Dataset(folder, manifest, reused=True)

    read = {name: table.read for name, table in silver.items()}
    households, counted = _eligible(read["customers"](["household_id", "marketing_consent"]), erased)
    channels = CHANNELS_OF[model](read, households)
    if empty := [name for name, table in channels.items() if table.num_rows == 0]:
        raise DatasetInputError(
            f"dataset {model}: channel {', '.join(empty)} has no rows from silver "
            f"({counted['eligible']} households with consent and not erased)"
        )
    staging = folder.with_name(f".{version}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    for name, table in channels.items():
        (staging / name).mkdir(parents=True)
        pq.write_table(table, staging / name / "part-0.parquet")
    manifest = DatasetManifest(
        model=model,
        version=version,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        channels={name: _described(table) for name, table in channels.items()},
        delta_versions=delta_versions,
        policy_version=policy_version,
        households=counted,
    )
    (staging / MANIFEST_FILE).write_text(json.dumps(asdict(manifest), indent=2, sort_keys=True))
    staging.rename(folder)
    logger.debug("dataset %s/%s cut: %s", model, version, {name: table.num_rows for name, table in channels.items()})
    return Dataset(folder, manifest, reused=False)


def _kept_datasets(settings: Settings) -> list[Path]:
    """Every dataset folder cut so far, of every model and version (not one still being written)."""
    return sorted(
        manifest.parent
        for manifest in datasets_dir(settings).glob(f"*/*/{MANIFEST_FILE}")
        if not manifest.parent.name.startswith(".")
    )


def _held_rows(keys: pa.ChunkedArray, households: set[int]) -> tuple[pa.ChunkedArray, dict[int, int]]:
    """Which rows belong to any of the households, and how many rows each of those holds."""
    held = pc.is_in(keys, value_set=pa.array(sorted(households), pa.int64()))
    counts = pc.value_counts(keys.filter(held))
    return held, {int(item["values"].as_py()): int(item["counts"].as_py()) for item in counts}


def _household_counts(path: Path, households: set[int]) -> dict[int, int]:
    if "household_id" not in pq.read_schema(path).names:
        return {}
    return _held_rows(pq.read_table(path, columns=["household_id"])["household_id"], households)[1]


def datasets_holding(settings: Settings, households: set[int]) -> list[Path]:
    """The channel files of kept datasets that hold any of the households."""
    return [
        path
        for folder in _kept_datasets(settings)
        for path in sorted(folder.glob("*/*.parquet"))
        if _household_counts(path, households)
    ]


def erase_from_datasets(settings: Settings, households: set[int]) -> list[tuple[Path, int, int]]:
    """Rewrite every kept dataset's channel files without the households' rows.

    Returns (file, household, rows removed). Each file is replaced whole, and the
    dataset's manifest counts the rows left and the households erased since the cut.
    """
    removed: list[tuple[Path, int, int]] = []
    for folder in _kept_datasets(settings):
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
        erased_here: set[int] = set()
        for path in sorted(folder.glob("*/*.parquet")):
            if "household_id" not in pq.read_schema(path).names:
                continue
            table = pq.read_table(path)
            held, counts = _held_rows(table["household_id"], households)
            if not counts:
                continue
            rewritten = path.with_name(f".{path.name}.erasing")
            pq.write_table(table.filter(pc.invert(held)), rewritten)
            rewritten.replace(path)
            manifest["channels"][path.parent.name]["rows"] -= sum(counts.values())
            erased_here |= set(counts)
            removed.extend((path, household, rows) for household, rows in counts.items())
        if erased_here:
            households_of = manifest["households"]
            households_of["erased_since_cut"] = households_of.get("erased_since_cut", 0) + len(erased_here)
            (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True))
            logger.info("erased %d household(s) from dataset %s", len(erased_here), folder)
    return removed
