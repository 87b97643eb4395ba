"""The audit trail: an append-only Delta table of what was done to the data, by whom, when, and how it ended.

Pipeline runs, erasures, exports and policy changes each append one row. The
table is created with ``delta.appendOnly = true``, so Delta itself (Spark and
delta-rs alike) refuses any DELETE or UPDATE of it; each append is one atomic
commit, so concurrent writers never lose each other's rows. It is written with
delta-rs, so recording an event needs no JVM.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime

import pyarrow as pa
from deltalake import write_deltalake

from governance.delta_read import open_delta, read_delta, reading

APPEND_ONLY = {"delta.appendOnly": "true"}


@dataclass(frozen=True)
class AuditRecord:
    action: str
    """What kind of event: ``pipeline_run``, ``erasure``, ``export``, ``policy_change``."""
    subject: str
    """What it acted on: a job, a table, an erasure request."""
    outcome: str
    """``succeeded`` or ``failed``."""
    actor: str
    """Who or what started it: a schedule, a sensor, a person."""
    detail: str = ""
    """Why it failed, or what it did, in a line."""
    reference: str = ""
    """Where the details are: a Dagster run id, a receipt path."""
    counts: dict[str, int] = field(default_factory=dict)
    policy_version: int = 0
    code_version: str = ""
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="microseconds"))


AUDIT_SCHEMA = pa.schema(
    [
        pa.field("at", pa.string(), nullable=False),
        pa.field("action", pa.string(), nullable=False),
        pa.field("subject", pa.string(), nullable=False),
        pa.field("outcome", pa.string(), nullable=False),
        pa.field("actor", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("reference", pa.string()),
        pa.field("counts", pa.string()),
        pa.field("policy_version", pa.int64()),
        pa.field("code_version", pa.string()),
    ]
)


@dataclass(frozen=True)
class AuditTrail:
    """Where the audit table lives: a folder or ``s3://`` URI, with delta-rs storage options."""

    uri: str
    storage_options: dict[str, str] = field(default_factory=dict)


def append_audit(trail: AuditTrail, record: AuditRecord) -> None:
    """Append one record as one commit; the first append creates the table, append-only."""
    row = {name: [value] for name, value in asdict(record).items()}
    row["counts"] = [json.dumps(record.counts, sort_keys=True)]
    with reading(trail.uri, "appending to"):
        write_deltalake(
            trail.uri,
            pa.table(row, schema=AUDIT_SCHEMA),
            mode="append",
            configuration=APPEND_ONLY,
            storage_options=trail.storage_options or None,
        )


def read_audit(trail: AuditTrail) -> list[AuditRecord]:
    """Every record, oldest first; a trail never written has none."""
    opened = open_delta(trail.uri, trail.storage_options)
    if opened is None:
        return []
    table = read_delta(opened)
    names = {item.name for item in fields(AuditRecord)}
    records = []
    for row in table.to_pylist():
        row["counts"] = json.loads(row["counts"] or "{}")
        records.append(AuditRecord(**{name: value for name, value in row.items() if name in names}))
    return sorted(records, key=lambda record: record.at)
