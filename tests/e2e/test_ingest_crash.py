"""Ingestion killed with SIGKILL in the middle of a silver write; a rerun leaves one copy of every row."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from pyspark.sql import SparkSession

from lakehouse.ingest import ingest_all, lake_layout
from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings
from tests.lake import delta_rows

pytestmark = pytest.mark.e2e

INGEST = """
from lakehouse.ingest import ingest_all
from lakehouse.settings import get_settings
from spark_jobs.session import build_spark_session
settings = get_settings()
ingest_all(lambda: build_spark_session(settings), settings, ["products", "transactions"])
"""


def _silver_part_files(lake: Path) -> list[Path]:
    return list((lake / "silver" / "transactions").rglob("*.parquet"))


def test_a_rerun_after_sigkill_mid_write_leaves_exactly_one_copy(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = Settings(data_dir=tmp_path, tokenisation_key_file=tmp_path / "secrets" / "key")
    for feed in ("products", "transactions"):
        shutil.copytree(Path(local_settings.landing_uri) / feed, Path(settings.landing_uri) / feed)
    environment = {**os.environ, "LAKEHOUSE_DATA_DIR": str(tmp_path),
                   "LAKEHOUSE_TOKENISATION_KEY_FILE": str(settings.tokenisation_key_file)}  # fmt: skip
    script = tmp_path / "ingest.py"  # a file, not `python -c`: pyspark exits at import when __main__ has no file
    script.write_text(INGEST)
    process = subprocess.Popen(
        [sys.executable, str(script)], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    lake = Path(settings.lake_uri)
    deadline = time.monotonic() + 300
    while not _silver_part_files(lake) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its JVM together, as the OOM killer would
    process.wait()
    killed_mid_write = bool(_silver_part_files(lake))

    summary = ingest_all(lambda: spark, settings, ["products", "transactions"])

    silver = spark.read.format("delta").load(lake_layout(settings).silver("transactions"))
    keys = silver.select("household_id", "basket_id", "product_id")
    report = summary.tables["transactions"]
    landed = sample_landing.rows("transactions")
    quarantine = delta_rows(spark, lake_layout(settings).quarantine("transactions"))
    assert killed_mid_write
    assert keys.count() == keys.distinct().count() == landed - quarantine
    table = lake / "silver" / "transactions"
    versions = sorted((table / "_delta_log").glob("*.json"))
    actions = [json.loads(line) for path in versions for line in path.read_text().splitlines()]
    added = {unquote(action["add"]["path"]) for action in actions if "add" in action}
    assert len([action for action in actions if "commitInfo" in action]) == len(versions)
    assert all((table / path).exists() for path in added)
    assert report.rows_accepted == landed - quarantine
