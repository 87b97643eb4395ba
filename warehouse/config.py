"""What the warehouse service needs to know, built by the caller from the platform's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class WarehouseUser:
    """A login, as a ClickHouse user with its settings profile.

    ``readonly`` users get ClickHouse's ``readonly=1`` on every query, enforced
    by the engine; ``limits`` are settings (``max_execution_time``,
    ``max_memory_usage``, ...) set before it, so the user cannot raise them;
    ``max_concurrent_queries`` caps how many of its queries run at once (0: no cap).
    """

    name: str
    password: str
    readonly: bool
    limits: dict[str, str] = field(default_factory=dict)
    max_concurrent_queries: int = 0


@dataclass(frozen=True)
class LakeAccess:
    """Where the Delta lake lives: a local folder, or an S3 URL with its endpoint and keys."""

    root: str
    s3_endpoint: str = ""
    access_key: str = ""
    secret_key: str = ""
    named_collection: str = "lake"
    """The ClickHouse named collection that holds an S3 lake's URL and keys."""

    @property
    def is_s3(self) -> bool:
        return self.root.startswith(("s3://", "s3a://"))

    @property
    def http_url(self) -> str:
        """The lake root as the URL ClickHouse's S3 readers take: ``<endpoint>/<bucket>/<prefix>/``."""
        bucket_and_prefix = self.root.split("://", 1)[1].strip("/")
        endpoint = self.s3_endpoint.rstrip("/") or f"https://{bucket_and_prefix.split('/')[0]}.s3.amazonaws.com"
        if not self.s3_endpoint:
            bucket_and_prefix = bucket_and_prefix.partition("/")[2]
        return f"{endpoint}/{bucket_and_prefix}/"

    def table_engine(self, zone: str, table: str) -> str:
        """The ClickHouse table engine that reads ``<zone>/<table>`` of this lake, with no keys in it."""
        if self.is_s3:
            return f"DeltaLake({self.named_collection}, filename = '{zone}/{table}/')"
        return f"DeltaLakeLocal('{self.root.rstrip('/')}/{zone}/{table}')"


@dataclass(frozen=True)
class WarehouseConfig:
    data_path: Path
    users: tuple[WarehouseUser, ...]
    lake: LakeAccess
    host: str = "127.0.0.1"
    port: int = 8123
    max_body_bytes: int = 1 << 30
    max_query_bytes: int = 1 << 20
    session_timeout_s: int = 60
    max_session_timeout_s: int = 3600
    default_credentials_in_use: bool = True
    anonymous_user: str = ""
    """The user a request without credentials runs as; empty refuses such requests (401)."""
    confine: bool = True
    """Confine the process with Landlock (see :mod:`warehouse.confinement`); off only where Linux lacks it."""
    allowed_origins: tuple[str, ...] = ()
    """Web origins whose browser requests are served; a request with any other ``Origin`` is refused."""
    query_thread_nice: int = 10
    """Query threads run at this nice value, so the HTTP loop (nice 0) answers /ping and small requests at once
    while a big query has every core; on an otherwise idle machine queries lose nothing."""

    @property
    def lock_file(self) -> Path:
        return self.data_path / "warehouse.lock"

    @property
    def served_lake_folder(self) -> Path | None:
        """The local folder chDB reads Delta tables from (silver only), or None for an S3 lake."""
        return None if self.lake.is_s3 else Path(self.lake.root) / "silver"

    def user(self, name: str) -> WarehouseUser | None:
        return next((user for user in self.users if user.name == name), None)
