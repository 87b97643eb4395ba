"""A landing file as ingestion sees it: where it is, what it holds, and whether it can be read at all."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LandingFile:
    """One file of one feed. ``columns`` is what its header or footer declares (None for JSON lines)."""

    table: str
    relative_path: str
    uri: str
    checksum: str
    size_bytes: int
    columns: tuple[str, ...] | None = None
    unreadable: str | None = None
    """Why the file cannot be read (truncated Parquet, say); its contents then go nowhere but the report."""
    parquet_schema: str | None = None
    """A Parquet file's Spark schema (JSON) from its footer: files with the same one are read in one pass."""

    @property
    def identity(self) -> tuple[str, str]:
        return (self.relative_path, self.checksum)
