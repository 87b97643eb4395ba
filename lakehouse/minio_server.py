"""Start and stop a MinIO server on loopback: the real S3 endpoint for tests, benchmarks and local runs."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from lakehouse.processes import free_port, terminate
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

    def start(self, timeout_s: float = 30.0) -> MinioServer:
        self.port = self.port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        environment = {**os.environ, "MINIO_ROOT_USER": self.user, "MINIO_ROOT_PASSWORD": self.password}
        command = [
            str(self.binary), "server", str(self.data_dir), "--quiet",
            "--address", f"127.0.0.1:{self.port}", "--console-address", f"127.0.0.1:{free_port()}",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"MinIO exited at start on port {self.port}: {error.strip()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/minio/health/ready", timeout=1):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"MinIO on port {self.port} was not ready within {timeout_s:.0f}s")

    def stop(self) -> None:
        terminate(self.process, timeout_s=10)
        self.process = None

    def create_bucket(self, name: str) -> None:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.user,
            aws_secret_access_key=self.password,
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=name)

    def __enter__(self) -> MinioServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
