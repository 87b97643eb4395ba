"""The SparkSession's S3A options and jar lookup, without starting a JVM."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from lakehouse.settings import Settings
from spark_jobs.session import MissingSparkJarsError, s3a_options, spark_jars

pytestmark = pytest.mark.unit


def test_a_custom_endpoint_gets_path_style_access_and_static_keys() -> None:
    options = s3a_options(
        Settings(s3_endpoint="http://127.0.0.1:9000", s3_access_key="k", s3_secret_key=SecretStr("s"))
    )
    assert options["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert options["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert options["spark.hadoop.fs.s3a.access.key"] == "k"


def test_without_keys_the_default_aws_chain_is_left_in_charge() -> None:
    options = s3a_options(Settings())
    assert not any(key.endswith(("access.key", "credentials.provider", "endpoint")) for key in options)


def test_missing_jars_name_the_folder_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(MissingSparkJarsError, match=f"no delta-spark jar in {tmp_path}: run `make jars`"):
        spark_jars(tmp_path)
