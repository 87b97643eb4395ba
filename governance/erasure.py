"""Right to erasure: the requests, and the receipts that prove what was removed.

A receipt is written once per request and never changed. The receipts folder
is also the register of erased households: landing consults it, so a household
erased here never comes back from its source, and a second request for the same
household is answered from its receipt.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


class ErasureRequestError(ValueError):
    """A request file or argument that names no valid household; the message names the file, line and field."""


@dataclass(frozen=True)
class ErasureRequest:
    household_id: int
    reference: str = ""
    """The ticket or letter the request came with, so the receipt answers it."""


def read_erasure_requests(path: Path) -> list[ErasureRequest]:
    """Requests from a CSV file with a ``household_id`` column (and optionally ``reference``).

    Every line is checked before any is acted on: one bad line refuses the file,
    naming the line and the rule, so a batch is never half done for a typo.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ErasureRequestError(f"{path}: cannot read erasure requests: {error}") from error
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or "household_id" not in reader.fieldnames:
        raise ErasureRequestError(f"{path}: line 1: the header must name a household_id column")
    requests: list[ErasureRequest] = []
    seen: set[int] = set()
    for line_number, row in enumerate(reader, start=2):
        value = (row.get("household_id") or "").strip()
        if not value.isdigit():
            raise ErasureRequestError(
                f"{path}: line {line_number}: field household_id {value!r} is not a positive whole number"
            )
        household = int(value)
        if household in seen:
            continue
        seen.add(household)
        requests.append(ErasureRequest(household, (row.get("reference") or "").strip()))
    if not requests:
        raise ErasureRequestError(f"{path}: no requests: the file has a header but no household_id lines")
    return requests


@dataclass(frozen=True)
class RemovedRows:
    """Rows of the household removed from one place: a lake table, a mart, a landing file."""

    zone: str
    """``landing``, ``bronze``, ``silver``, ``quarantine``, ``ml_datasets`` or ``warehouse``."""
    location: str
    rows: int
    action: str = "deleted"
    """``deleted`` rows of a table; ``rewritten`` (a landing or dataset file) or ``removed`` (a landing file)."""
    history_purged: bool = False
    """For Delta tables: the earlier versions that held the rows were vacuumed away."""


@dataclass(frozen=True)
class ErasureReceipt:
    request_id: str
    household_id: int
    reference: str
    requested_by: str
    policy_version: int
    code_version: str
    started_at: str
    finished_at: str
    removed: list[RemovedRows] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    """Aggregates rebuilt without the household (marts with no household key but built from its rows)."""

    @property
    def rows_removed(self) -> int:
        return sum(item.rows for item in self.removed)

    def rows_by_zone(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for item in self.removed:
            totals[item.zone] = totals.get(item.zone, 0) + item.rows
        return totals


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def receipt_path(receipts_dir: Path, request_id: str) -> Path:
    return receipts_dir / f"{request_id}.json"


def write_receipt(receipts_dir: Path, receipt: ErasureReceipt) -> Path:
    """Write the receipt once; an existing receipt for the same request is never overwritten."""
    receipts_dir.mkdir(parents=True, exist_ok=True)
    path = receipt_path(receipts_dir, receipt.request_id)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(descriptor, "w") as output:
        json.dump(asdict(receipt), output, indent=1, sort_keys=True)
        output.write("\n")
    return path


def read_receipts(receipts_dir: Path) -> list[ErasureReceipt]:
    """Every receipt, oldest first."""
    if not receipts_dir.exists():
        return []
    receipts = []
    for path in sorted(receipts_dir.glob("*.json")):
        raw = json.loads(path.read_text())
        raw["removed"] = [RemovedRows(**item) for item in raw.get("removed", [])]
        receipts.append(ErasureReceipt(**raw))
    return sorted(receipts, key=lambda receipt: receipt.started_at)


def mark_pending(receipts_dir: Path, request_id: str, household: int) -> None:
    """Put the household in the register before its erasure starts; its receipt replaces the mark."""
    receipts_dir.mkdir(parents=True, exist_ok=True)
    (receipts_dir / f"{request_id}.pending").write_text(json.dumps({"household_id": household}) + "\n")


def clear_pending(receipts_dir: Path, request_id: str, household: int | None = None) -> None:
    """Remove this request's mark and, once a receipt is written for ``household``, every earlier one."""
    (receipts_dir / f"{request_id}.pending").unlink(missing_ok=True)
    if household is not None:
        for mark in receipts_dir.glob("*.pending"):
            if json.loads(mark.read_text())["household_id"] == household:
                mark.unlink(missing_ok=True)


def pending_households(receipts_dir: Path) -> set[int]:
    """Households whose erasure started and has no receipt yet (it failed half way, or runs now)."""
    if not receipts_dir.exists():
        return set()
    return {int(json.loads(mark.read_text())["household_id"]) for mark in receipts_dir.glob("*.pending")}


def erased_households(receipts_dir: Path) -> set[int]:
    """The register: every household an erasure has removed or has started to remove."""
    return {receipt.household_id for receipt in read_receipts(receipts_dir)} | pending_households(receipts_dir)
