"""Where landing files go: a local folder or an S3 prefix, through one pyarrow filesystem."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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
    filesystem, root = settings.object_store.filesystem_at(uri)
    if isinstance(filesystem, fs.LocalFileSystem):
        filesystem.create_dir(root, recursive=True)
    return LandingStore(filesystem, root, uri)


def files_under(store: LandingStore, table: str) -> Iterator[str]:
    """The relative paths of a feed's files, in order; names starting ``_`` or ``.`` are not feed files."""
    selector = fs.FileSelector(store.path(table), recursive=True, allow_not_found=True)
    for info in sorted(store.filesystem.get_file_info(selector), key=lambda info: info.path):
        name = info.base_name
        if info.type == fs.FileType.File and not name.startswith(("_", ".")):
            yield info.path.removeprefix(store.root.rstrip("/") + "/")
