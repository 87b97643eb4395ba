"""Where landing files go: a local folder or an S3 prefix, through one pyarrow filesystem."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from pyarrow import fs

from lakehouse.settings import Settings


@dataclass(frozen=True)
class LandingStore:
    """A filesystem and the root path inside it that holds ``<table>/...`` folders."""

    filesystem: fs.FileSystem
    root: str
    uri: str

    def path(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    def uri_of(self, *parts: str) -> str:
        return "/".join([self.uri.rstrip("/"), *parts])


def landing_store(settings: Settings) -> LandingStore:
    """Open the landing root named in settings (``s3://``/``s3a://`` or a local folder)."""
    uri = settings.landing_uri
    parsed = urlparse(uri)
    if parsed.scheme in ("s3", "s3a"):
        s3 = (
            fs.S3FileSystem(
                access_key=settings.s3_access_key or None,
                secret_key=settings.s3_secret_key.get_secret_value() or None,
                endpoint_override=settings.s3_endpoint or None,
                region=settings.s3_region,
                scheme="https" if settings.s3_endpoint.startswith("https") else "http",
            )
            if settings.s3_endpoint
            else fs.S3FileSystem(region=settings.s3_region)
        )
        return LandingStore(s3, f"{parsed.netloc}{parsed.path}", uri)
    local = fs.LocalFileSystem()
    local.create_dir(uri, recursive=True)
    return LandingStore(local, uri, uri)
