"""Start and stop a MinIO server on loopback: the real S3 endpoint for tests, benchmarks and local runs."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pydantic import SecretStr

from lakehouse.child_server import start_child, stop_child
from lakehouse.object_store import ObjectStore
from lakehouse.processes import answers, free_port
from lakehouse.settings import Settings


@dataclass
class MinioServer:
    """A MinIO process serving ``data_dir`` on a free loopback port until stopped."""

    binary: Path
    data_dir: Path
    user: str
    password: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, data_dir: Path) -> MinioServer:
        if not settings.minio_binary.exists():
            raise FileNotFoundError(f"MinIO is not installed at {settings.minio_binary}: run `make minio`")
        return cls(settings.minio_binary, data_dir, settings.minio_user, settings.minio_password.get_secret_value())

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Beside the data folder, not in it: MinIO would take a top-level entry for a bucket."""
        return self.data_dir.with_name(f"{self.data_dir.name}.log")

    def start(self, timeout_s: float = 30.0) -> MinioServer:
        self.port = self.port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(self.binary), "server", str(self.data_dir), "--quiet",
            "--address", f"127.0.0.1:{self.port}", "--console-address", f"127.0.0.1:{free_port()}",
        ]  # fmt: skip
        self.process = start_child(
            f"MinIO on port {self.port}",
            command,
            ready=lambda: answers(f"{self.endpoint}/minio/health/ready"),
            log_path=self.log_path,
            timeout_s=timeout_s,
            environment={**os.environ, "MINIO_ROOT_USER": self.user, "MINIO_ROOT_PASSWORD": self.password},
        )
        return self

    def stop(self) -> None:
        stop_child(self.process, grace_s=10)
        self.process = None

    @property
    def object_store(self) -> ObjectStore:
        return ObjectStore(self.endpoint, access_key=self.user, secret_key=SecretStr(self.password))

    def create_bucket(self, name: str) -> None:
        self.object_store.boto3_client().create_bucket(Bucket=name)

    def __enter__(self) -> MinioServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
