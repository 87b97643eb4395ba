"""The one description of the object store (S3, or any S3 endpoint such as MinIO) that every client is built from.

Spark's S3A options, delta-rs storage options, boto3 clients, pyarrow's
filesystem and the warehouse's lake access are all derived here, so an
endpoint, region or key is read in one place. No endpoint means AWS itself;
no access key means the AWS default credential chain (instance role,
``~/.aws``), which every client is then left to use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from pydantic import SecretStr

from warehouse.config import LakeAccess

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from pyarrow.fs import FileSystem, S3FileSystem


@dataclass(frozen=True)
class ObjectStore:
    endpoint: str = ""
    """An S3-compatible endpoint URL (``http://127.0.0.1:9000``); empty for AWS S3."""
    region: str = "us-east-1"
    access_key: str = ""
    secret_key: SecretStr = field(default_factory=lambda: SecretStr(""))

    @property
    def uses_https(self) -> bool:
        return not self.endpoint or self.endpoint.startswith("https")

    def boto3_client(self) -> S3Client:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint or None,
            aws_access_key_id=self.access_key or None,
            aws_secret_access_key=self.secret_key.get_secret_value() or None,
            region_name=self.region,
        )

    def pyarrow_filesystem(self) -> S3FileSystem:
        from pyarrow import fs

        if not self.endpoint:
            return fs.S3FileSystem(region=self.region)
        return fs.S3FileSystem(
            access_key=self.access_key or None,
            secret_key=self.secret_key.get_secret_value() or None,
            endpoint_override=self.endpoint,
            region=self.region,
            scheme="https" if self.uses_https else "http",
        )

    def filesystem_at(self, uri: str) -> tuple[FileSystem, str]:
        """The filesystem holding ``uri`` (``s3://``, ``s3a://`` or a local path) and the path inside it."""
        from pyarrow import fs

        parsed = urlparse(uri)
        if parsed.scheme in ("s3", "s3a"):
            return self.pyarrow_filesystem(), f"{parsed.netloc}{parsed.path}"
        return fs.LocalFileSystem(), uri.removeprefix("file://")

    def s3a_options(self) -> dict[str, str]:
        """Spark's Hadoop S3A options: path-style access for a custom endpoint, static keys when given."""
        options = {
            "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
            "spark.hadoop.fs.s3a.endpoint.region": self.region,
            "spark.hadoop.fs.s3a.fast.upload": "true",
        }
        if self.endpoint:
            options["spark.hadoop.fs.s3a.endpoint"] = self.endpoint
            options["spark.hadoop.fs.s3a.path.style.access"] = "true"
            options["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(self.uses_https).lower()
        if self.access_key:
            options["spark.hadoop.fs.s3a.aws.credentials.provider"] = (
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
            )
            options["spark.hadoop.fs.s3a.access.key"] = self.access_key
            options["spark.hadoop.fs.s3a.secret.key"] = self.secret_key.get_secret_value()
        return options

    def delta_rs_options(self) -> dict[str, str]:
        """delta-rs storage options; commits by conditional put, so concurrent writers cannot both win."""
        options = {"AWS_REGION": self.region, "conditional_put": "etag"}
        if self.endpoint:
            options["AWS_ENDPOINT_URL"] = self.endpoint
            options["AWS_ALLOW_HTTP"] = str(not self.uses_https).lower()
        if self.access_key:
            options["AWS_ACCESS_KEY_ID"] = self.access_key
            options["AWS_SECRET_ACCESS_KEY"] = self.secret_key.get_secret_value()
        return options

    def lake_access(self, root: str, named_collection: str) -> LakeAccess:
        """How the warehouse reads the lake at ``root``: its keys go into a named collection, never into SQL."""
        return LakeAccess(
            root=root,
            s3_endpoint=self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key.get_secret_value(),
            named_collection=named_collection,
        )
