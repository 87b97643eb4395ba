"""Opening and reading lake tables with delta-rs: a store that does not answer fails in one line."""

from __future__ import annotations

import socket
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from governance.audit import AuditRecord, AuditTrail, append_audit
from governance.delta_read import LakeStoreError, commits, open_delta, read_delta


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _refusing_store(endpoint: str) -> dict[str, str]:
    """delta-rs storage options for an S3 endpoint nothing listens on, giving up after one retry."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "reader",
        "AWS_SECRET_ACCESS_KEY": "not-a-secret",
        "max_retries": "1",
        "retry_timeout": "2s",
    }


def test_a_store_that_refuses_fails_in_one_line_naming_the_table_the_request_and_why() -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    options = _refusing_store(endpoint)

    with pytest.raises(LakeStoreError) as raised:
        open_delta("s3a://lake/silver/transactions", options)

    message = str(raised.value)
    assert "\n" not in message and "\x1b" not in message, message
    assert message.startswith("reading the lake table s3a://lake/silver/transactions failed: "), message
    assert "Connection refused" in message, message
    assert f"GET {endpoint}/lake/silver/transactions/_delta_log/" in message, message


def test_a_missing_table_is_none_and_a_written_one_reads_at_any_version(tmp_path: Path) -> None:
    uri = str(tmp_path / "silver" / "households")
    assert open_delta(uri, {}) is None

    write_deltalake(uri, pa.table({"household_key": [1, 2]}))
    write_deltalake(uri, pa.table({"household_key": [3]}), mode="append")

    latest = open_delta(uri, {})
    first = open_delta(uri, {}, version=0)
    assert latest is not None and first is not None
    assert sorted(read_delta(latest)["household_key"].to_pylist()) == [1, 2, 3]
    assert read_delta(first)["household_key"].to_pylist() == [1, 2]
    assert [commit["version"] for commit in commits(latest)] == [1, 0]
    assert [commit["version"] for commit in commits(latest, 1)] == [1]


def test_an_audit_record_the_store_refuses_fails_in_one_line_naming_the_trail() -> None:
    trail = AuditTrail("s3://lake/lake/_audit/events", _refusing_store(f"http://127.0.0.1:{_closed_port()}"))

    with pytest.raises(LakeStoreError) as raised:
        append_audit(trail, AuditRecord("erasure", "erasure request r-1", "succeeded", "dpo@retailer"))

    message = str(raised.value)
    assert message.startswith("appending to the lake table s3://lake/lake/_audit/events failed: "), message
    assert "\n" not in message and "Connection refused" in message, message
