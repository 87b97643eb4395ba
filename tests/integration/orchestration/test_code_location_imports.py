"""The modules a Dagster run worker imports load in a process whose ``__main__`` has no file.

Dagster starts run workers with multiprocessing's spawn, whose child runs
``python -c``. PySpark's Connect modules (which Great Expectations imports)
used to end such a process at import, with exit code 0, when the Connect
dependencies were missing: every run launched from the UI died before a step.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from lakehouse.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration

PLATFORM_IMPORTS = (
    "great_expectations",
    "pyspark.sql.connect.dataframe",
    "spark_jobs.quality",
    "orchestration.definitions",
)


@pytest.mark.parametrize("module", PLATFORM_IMPORTS)
def test_a_run_workers_import_completes_in_a_process_without_a_main_file(module: str) -> None:
    probe = f"import {module}; print('imported {module}')"

    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)

    assert (done.returncode, done.stdout.strip()) == (0, f"imported {module}"), done.stderr[-2000:]


def test_the_code_location_loads_without_presidio_spacy_or_great_expectations() -> None:
    """Each of them takes seconds to import, and every run worker and code server loads the code location."""
    heavy = ("presidio_analyzer", "spacy", "great_expectations")
    probe = f"import sys, orchestration.definitions; print([m for m in {heavy!r} if m in sys.modules])"

    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)

    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr[-2000:]
