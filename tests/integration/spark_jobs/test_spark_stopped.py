"""When Spark's JVM dies (out of heap, or killed), every failure after it says so in one line.

Before, every table after the death failed with ``ConnectionRefusedError`` and
the reason (``java.lang.OutOfMemoryError``) was only in the JVM's log. The
reason is asked where failures are rendered: ingestion's table loop, the
command line's one-line failure and a Dagster step's failure. Each case runs in
a process of its own: its JVM really dies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.markup import escape

from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings

pytestmark = pytest.mark.integration

INGEST_AFTER_THE_JVM_DIED = """
import json, os, signal, sys
from lakehouse.ingest import ingest_all
from lakehouse.settings import get_settings
from spark_jobs.session import build_spark_session

how = sys.argv[1]
settings = get_settings()
spark = build_spark_session(settings, app_name="jvm-dies")
jvm = spark.sparkContext._gateway.proc
if how == "heap":
    try:
        spark.range(0, 200_000_000, 1, 1).selectExpr("size(collect_list(id))").collect()
    except Exception:
        pass
else:
    os.kill(jvm.pid, signal.SIGKILL)
jvm.wait(timeout=120)
summary = ingest_all(lambda: spark, settings, ["stores", "products"])
try:
    spark.range(1).count()
except Exception as error:
    from cli.failure import failure_line
    command_line = failure_line(error)
import dagster as dg
from orchestration.failures import data_errors_are_final
try:
    with data_errors_are_final(spark_of=settings):
        spark.range(1).count()
except dg.Failure as failure:
    step = {"description": failure.description, "retried": failure.allow_retries}
failed = {name: str(error) for name, error in summary.failed.items()}
print(json.dumps({"ingestion": failed, "command_line": command_line, "dagster_step": step}))
"""


def _failures_after_the_jvm_died(data_dir: Path, landing: str, how: str) -> dict[str, Any]:
    settings = {
        "LAKEHOUSE_DATA_DIR": str(data_dir),
        "LAKEHOUSE_LANDING_URI": landing,
        "LAKEHOUSE_SPARK_DRIVER_MEMORY": "512m",
    }
    done = subprocess.run(
        [sys.executable, "-c", INGEST_AFTER_THE_JVM_DIED, how],
        env={**os.environ, **settings},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    failures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return failures


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        (
            "heap",
            "Spark's JVM ran out of heap (java.lang.OutOfMemoryError with spark.driver.memory 512m; "
            "LAKEHOUSE_SPARK_DRIVER_MEMORY gives it more)",
        ),
        ("killed", "Spark's JVM stopped (killed by signal 9)"),
    ],
    ids=["out of heap", "killed"],
)
def test_a_dead_jvm_fails_with_why_in_ingestion_the_command_line_and_a_dagster_step_that_is_not_retried(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, how: str, reason: str
) -> None:
    failures = _failures_after_the_jvm_died(tmp_path, local_settings.landing_uri, how)

    assert failures["ingestion"] == {
        "stores": f"ingesting stores: {reason}",
        "products": f"not attempted: ingesting stores: {reason}",
    }
    assert failures["command_line"] == escape(reason)
    assert failures["dagster_step"] == {"description": reason, "retried": False}
    assert not (tmp_path / "lake").exists()
