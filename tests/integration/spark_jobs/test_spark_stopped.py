"""When Spark's JVM dies mid-ingestion (out of heap, or killed), the failure says so in one line.

Before, every table after the death failed with ``ConnectionRefusedError`` and
the reason (``java.lang.OutOfMemoryError``) was only in the JVM's log.
Each case runs in a process of its own: its JVM really dies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings

pytestmark = pytest.mark.integration

INGEST_AFTER_THE_JVM_DIED = """
import json, os, signal, sys
from lakehouse.ingest import ingest_all
from lakehouse.settings import Settings
from spark_jobs.session import build_spark_session

data_dir, landing, how = sys.argv[1:4]
settings = Settings(data_dir=data_dir, landing_uri=landing, spark_driver_memory="512m")
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
summary = ingest_all(spark, settings, ["stores", "products"])
print(json.dumps({name: str(error) for name, error in summary.failed.items()}))
"""


def _ingest_after_the_jvm_died(data_dir: Path, landing: str, how: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", INGEST_AFTER_THE_JVM_DIED, str(data_dir), landing, how],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    failed: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return failed


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
def test_a_dead_jvm_fails_the_table_with_why_and_the_rest_are_not_attempted(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, how: str, reason: str
) -> None:
    failed = _ingest_after_the_jvm_died(tmp_path, local_settings.landing_uri, how)

    assert failed == {
        "stores": f"ingesting stores: {reason}",
        "products": f"not attempted: ingesting stores: {reason}",
    }
    assert not (tmp_path / "lake").exists()
