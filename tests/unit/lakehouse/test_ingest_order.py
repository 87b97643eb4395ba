"""A table whose checked reference failed is not judged against it: it is listed as failed, saying why."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lakehouse import ingest
from lakehouse.ingest import UpstreamFailedError, ingest_all
from lakehouse.settings import Settings
from spark_jobs.ingest import TableReport
from spark_jobs.session import SparkSource
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.unit


def _no_spark() -> SparkSession:
    raise AssertionError("the ingestion's tables are stand-ins here: none asks for Spark")


@pytest.mark.parametrize(
    ("failing", "checked_against_it"),
    [
        ("campaign_descriptions", ["campaigns", "coupon_redemptions"]),
        ("products", []),
    ],
)
def test_tables_checked_against_a_failed_table_are_not_attempted_and_every_other_table_is(
    failing: str, checked_against_it: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Products are named, not checked: a line of a product the catalogue lacks is kept, so nothing waits on them."""
    attempted: list[str] = []

    def ingest_one_table(spark: SparkSource, settings: Settings, name: str, ingested_at: datetime) -> TableReport:
        attempted.append(name)
        if name == failing:
            raise ConnectionError("Connect to 127.0.0.1:9000 failed: Connection refused")
        return TableReport(name, files_seen=0)

    monkeypatch.setattr(ingest, "ingest_one_table", ingest_one_table)
    settings = Settings(data_dir=tmp_path, tokenisation_key_file=tmp_path / "tokenisation.key")

    summary = ingest_all(_no_spark, settings)

    dependants = [name for name, spec in TABLES.items() if any(ref.table == failing for ref in spec.checked_references)]
    assert dependants == checked_against_it
    assert attempted == [name for name in TABLES if name not in dependants]
    assert list(summary.failed) == [failing, *dependants]
    for name in dependants:
        error = summary.failed[name]
        assert isinstance(error, UpstreamFailedError)
        assert str(error) == (
            f"not attempted: its rows are checked against {failing}, which failed in this ingestion; "
            "its files stay new in landing for the next run"
        )
    assert set(summary.tables) == set(attempted) - {failing}
