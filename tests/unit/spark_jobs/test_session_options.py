"""The SparkSession's jar lookup, without starting a JVM."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_jobs.session import MissingSparkJarsError, spark_jars

pytestmark = pytest.mark.unit


def test_missing_jars_name_the_folder_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(MissingSparkJarsError, match=f"no delta-spark jar in {tmp_path}: run `make jars`"):
        spark_jars(tmp_path)
