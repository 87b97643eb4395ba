"""The audit trail: an append-only record of what was done to the data, by whom, when, and how it ended.

One JSON object per line. Each record is written with a single ``O_APPEND``
write and flushed to disk before the call returns, so concurrent writers never
interleave and an acknowledged record survives a crash. Nothing rewrites it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class AuditRecord:
    action: str
    """What kind of event: ``pipeline_run``, and later erasures, exports and policy changes."""
    subject: str
    """What it acted on: a job, a table, a household token."""
    outcome: str
    """``succeeded`` or ``failed``."""
    actor: str
    """Who or what started it: a schedule, a sensor, a person."""
    detail: str = ""
    """Why it failed, or what it did, in a line."""
    reference: str = ""
    """Where the details are: a Dagster run id, a receipt path."""
    counts: dict[str, int] = field(default_factory=dict)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def append_audit(path: Path, record: AuditRecord) -> None:
    """Append one record to the trail at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(record), sort_keys=True) + "\n").encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_audit(path: Path) -> list[AuditRecord]:
    """Every record in the trail, oldest first; an absent trail has none."""
    if not path.exists():
        return []
    with path.open() as lines:
        return [AuditRecord(**json.loads(line)) for line in lines if line.strip()]
