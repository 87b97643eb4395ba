"""Erasure in the landing zone: rewrite each raw file that held a household without its rows, or delete it.

Files are rewritten in their own format (Parquet, CSV, JSON lines), so the feed
reads as before. Untouched lines of CSV and JSON lines files keep their bytes.
A file left with no rows, or every file that held the household when the policy
says ``delete``, is removed. The landing manifest is updated to match.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from governance.policy import LandingErasure
from lakehouse.landing.land import read_manifest, write_manifest
from lakehouse.landing.storage import LandingStore, files_under
from spark_jobs.tables import TABLES, TableSpec

HOUSEHOLD_IN_TEXT = re.compile(r'"household_id"\s*:\s*"?(\d+)')


class LandingErasureError(RuntimeError):
    """A landing file that cannot be read, so it cannot be shown free of the household."""


@dataclass(frozen=True)
class LandingErasureResult:
    table: str
    relative_path: str
    rows_by_household: dict[int, int]
    rows_left: int
    action: str
    """``rewritten`` or ``removed``."""
    old_checksum: str
    new_checksum: str | None
    """The rewritten file's SHA-256, so the ledger knows it as already ingested; None when removed."""

    @property
    def rows_removed(self) -> int:
        return sum(self.rows_by_household.values())


@dataclass(frozen=True)
class _Split:
    checksum: str
    """The SHA-256 of the file as it was."""
    kept: bytes
    removed: Counter[int]
    left: int


def household_feeds() -> list[TableSpec]:
    return [spec for spec in TABLES.values() if "household_id" in spec.column_names]


def _split_parquet(content: bytes, households: set[int]) -> _Split:
    table = pq.read_table(io.BytesIO(content))
    erased = pc.is_in(table["household_id"], value_set=pa.array(sorted(households), pa.int64()))
    removed = Counter(table.filter(erased)["household_id"].to_pylist())
    if not removed:
        return _Split("", content, removed, table.num_rows)
    kept = table.filter(pc.invert(erased))
    sink = io.BytesIO()
    pq.write_table(kept, sink, compression="zstd", coerce_timestamps="us")
    return _Split("", sink.getvalue(), removed, kept.num_rows)


def _split_csv(content: bytes, households: set[int]) -> _Split:
    lines = content.decode("utf-8", errors="surrogateescape").splitlines(keepends=True)
    position = next(csv.reader([lines[0]])).index("household_id")
    kept, removed = [lines[0]], Counter[int]()
    for line in lines[1:]:
        fields = next(csv.reader([line]), [])
        value = fields[position].strip() if len(fields) > position else ""
        if value.isdigit() and int(value) in households:
            removed[int(value)] += 1
        else:
            kept.append(line)
    return _Split("", "".join(kept).encode("utf-8", errors="surrogateescape"), removed, len(kept) - 1)


def _split_json_lines(content: bytes, households: set[int]) -> _Split:
    kept, removed = [], Counter[int]()
    for line in content.decode("utf-8", errors="surrogateescape").splitlines(keepends=True):
        if not line.strip():
            continue
        try:
            household = json.loads(line).get("household_id")
        except (json.JSONDecodeError, AttributeError):
            # A damaged line still lands in bronze (as a corrupt record): match its household by text.
            found = HOUSEHOLD_IN_TEXT.search(line)
            household = int(found[1]) if found else None
        if isinstance(household, int) and household in households:
            removed[household] += 1
        else:
            kept.append(line)
    return _Split("", "".join(kept).encode("utf-8", errors="surrogateescape"), removed, len(kept))


SPLITTERS = {"parquet": _split_parquet, "csv": _split_csv, "json": _split_json_lines}


def _splits(store: LandingStore, spec: TableSpec, households: set[int]) -> Iterator[tuple[str, _Split]]:
    """Each readable file of the feed that holds any of the households, split into what stays and what goes."""
    for relative in files_under(store, spec.name):
        with store.filesystem.open_input_stream(store.path(relative)) as source:
            content = source.read()
        if not content:
            continue
        try:
            split = SPLITTERS[spec.landing_format](content, households)
        except (pa.ArrowInvalid, OSError, ValueError, IndexError, StopIteration) as error:
            raise LandingErasureError(
                f"{store.uri_of(relative)}: cannot be read to erase households from it ({error}); "
                "repair or remove the file, then erase again"
            ) from error
        if split.removed:
            yield relative, replace(split, checksum=hashlib.sha256(content).hexdigest())


def landing_files_holding(store: LandingStore, feed: str, households: set[int]) -> list[str]:
    return [relative for relative, _ in _splits(store, TABLES[feed], households)]


def erase_from_landing(store: LandingStore, households: set[int], policy: LandingErasure) -> list[LandingErasureResult]:
    """Remove the households from every landing file of every feed that carries ``household_id``."""
    results: list[LandingErasureResult] = []
    for spec in household_feeds():
        for relative, split in list(_splits(store, spec, households)):
            removed = dict(split.removed)
            if split.left == 0 or policy == LandingErasure.DELETE:
                store.filesystem.delete_file(store.path(relative))
                results.append(LandingErasureResult(spec.name, relative, removed, 0, "removed", split.checksum, None))
                continue
            with store.filesystem.open_output_stream(store.path(relative)) as sink:
                sink.write(split.kept)
            checksum = hashlib.sha256(split.kept).hexdigest()
            results.append(
                LandingErasureResult(spec.name, relative, removed, split.left, "rewritten", split.checksum, checksum)
            )
    _update_manifest(store, results)
    return results


def _update_manifest(store: LandingStore, results: Sequence[LandingErasureResult]) -> None:
    manifest = read_manifest(store)
    if manifest is None or not results:
        return
    for result in results:
        if result.action == "removed":
            manifest.files.pop(result.relative_path, None)
        else:
            manifest.files[result.relative_path] = result.rows_left
    write_manifest(store, manifest)
