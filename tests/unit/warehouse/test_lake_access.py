"""How the warehouse names the lake to ClickHouse: the S3 URL its readers take and the table engine per table."""

from __future__ import annotations

import pytest

from warehouse.config import LakeAccess

pytestmark = pytest.mark.unit


def test_an_s3_lake_on_a_custom_endpoint_is_addressed_path_style() -> None:
    lake = LakeAccess("s3a://lake/prefix", s3_endpoint="http://127.0.0.1:9000/")

    assert lake.http_url == "http://127.0.0.1:9000/lake/prefix/"
    assert lake.table_engine("silver", "stores") == "DeltaLake(lake, filename = 'silver/stores/')"


def test_an_s3_lake_without_an_endpoint_is_addressed_on_aws() -> None:
    assert LakeAccess("s3://lake/prefix").http_url == "https://lake.s3.amazonaws.com/prefix/"


def test_a_local_lake_is_read_by_absolute_path() -> None:
    lake = LakeAccess("/data/lake/")

    assert not lake.is_s3
    assert lake.table_engine("silver", "stores") == "DeltaLakeLocal('/data/lake/silver/stores')"
