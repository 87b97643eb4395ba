"""Every client's S3 configuration comes from the one object-store description in settings."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from lakehouse.settings import Settings

pytestmark = pytest.mark.unit

MINIO = Settings(
    s3_endpoint="http://127.0.0.1:9000", s3_access_key="k", s3_secret_key=SecretStr("s"), lake_uri="s3a://lake/prod"
)


def test_a_custom_endpoint_gets_path_style_access_and_static_keys_in_spark() -> None:
    options = MINIO.s3a_options
    assert options["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert options["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert options["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert options["spark.hadoop.fs.s3a.access.key"] == "k"
    assert options["spark.hadoop.fs.s3a.secret.key"] == "s"


def test_without_keys_the_default_aws_chain_is_left_in_charge() -> None:
    options = Settings().s3a_options
    assert not any(key.endswith(("access.key", "credentials.provider", "endpoint")) for key in options)
    assert "AWS_ACCESS_KEY_ID" not in Settings(lake_uri="s3a://lake/prod").delta_rs_storage_options


def test_delta_rs_boto3_pyarrow_and_the_warehouse_see_the_same_endpoint_and_keys() -> None:
    delta_rs = MINIO.delta_rs_storage_options
    client = MINIO.object_store.boto3_client()
    filesystem = MINIO.object_store.pyarrow_filesystem()
    lake = MINIO.object_store.lake_access(MINIO.lake_uri, "lake")

    assert delta_rs == {
        "AWS_REGION": "us-east-1",
        "conditional_put": "etag",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
    }
    assert (client.meta.endpoint_url, client.meta.region_name) == ("http://127.0.0.1:9000", "us-east-1")
    _, (arguments,) = filesystem.__reduce__()  # the arguments pyarrow would rebuild the filesystem from
    assert {name: arguments[name] for name in ("endpoint_override", "scheme", "access_key", "secret_key")} == {
        "endpoint_override": "http://127.0.0.1:9000",
        "scheme": "http",
        "access_key": "k",
        "secret_key": "s",
    }
    assert (lake.s3_endpoint, lake.access_key, lake.secret_key) == ("http://127.0.0.1:9000", "k", "s")
    assert lake.http_url == "http://127.0.0.1:9000/lake/prod/"


def test_a_local_lake_needs_no_delta_rs_options() -> None:
    assert Settings(lake_uri="/tmp/lake").delta_rs_storage_options == {}


@pytest.mark.parametrize(
    ("uri", "path", "kind"),
    [
        ("s3a://lake/prod/silver/transactions", "lake/prod/silver/transactions", "s3"),
        ("s3://landing/feeds", "landing/feeds", "s3"),
        ("file:///srv/lake/silver", "/srv/lake/silver", "local"),
        ("/srv/landing", "/srv/landing", "local"),
    ],
)
def test_a_uri_is_found_in_s3_or_on_the_local_disk(uri: str, path: str, kind: str) -> None:
    filesystem, inside = MINIO.object_store.filesystem_at(uri)
    assert (filesystem.type_name, inside) == (kind, path)
