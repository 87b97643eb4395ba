"""Clients nobody here wrote, pointed at a warehouse process: clickhouse-connect and curl."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_driver.compression import lz4, lz4hc
from clickhouse_driver.streams.compressed import CompressedBlockInputStream, CompressedBlockOutputStream

from lakehouse.processes import free_port
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess

ANALYST = ("analyst", "analyst")


def warehouse_on_free_port(settings: Settings, data_path: Path, **updates: Any) -> WarehouseProcess:
    """A warehouse (not yet started) on its own data path and a free loopback port, logging beside the path."""
    served = settings.model_copy(
        update={"warehouse_data_path": data_path, "clickhouse_url": f"http://127.0.0.1:{free_port()}", **updates}
    )
    return WarehouseProcess(served, log_path=data_path.parent / f"{data_path.name}.log")


def admin_password(warehouse: WarehouseProcess) -> str:
    return warehouse.settings.clickhouse_password.get_secret_value()


def connect(warehouse: WarehouseProcess, user: str = "", password: str | None = None, **options: Any) -> Client:
    """A clickhouse-connect client; the platform's admin with its password unless another user is named."""
    address = urlsplit(warehouse.url)
    return clickhouse_connect.get_client(
        host=address.hostname,
        port=address.port,
        username=user or warehouse.settings.clickhouse_user,
        password=admin_password(warehouse) if password is None else password,
        **options,
    )


def queries_running(warehouse: WarehouseProcess, text: str) -> int:
    """How many queries containing ``text`` the admin sees running."""
    answer = connect(warehouse).command(
        f"SELECT count() FROM system.processes WHERE query LIKE '%{text}%' AND query NOT LIKE '%system.processes%'"
    )
    assert isinstance(answer, int)
    return answer


def wait_until_running(warehouse: WarehouseProcess, text: str, timeout_s: float = 20) -> None:
    """Return once a query containing ``text`` is running (the readiness signal a slow-query test waits for)."""
    deadline = time.monotonic() + timeout_s
    while not queries_running(warehouse, text):
        assert time.monotonic() < deadline, f"no query containing {text!r} started within {timeout_s} s"
        time.sleep(0.05)


def _names_a_user(path: str, arguments: tuple[str, ...]) -> bool:
    sent = " ".join(arguments).lower()
    return "user=" in path or any(flag in sent for flag in ("-u ", "--user", "x-clickhouse-user", "authorization"))


def curl(
    warehouse: WarehouseProcess, path: str, *arguments: str, stdin: bytes | None = None, anonymous: bool = False
) -> subprocess.CompletedProcess[str]:
    """``curl -sS -i`` against the warehouse: the status line, headers and body, as text (``@-`` reads ``stdin``).

    Sent as the platform's admin unless the arguments name a user or ``anonymous`` asks for no credentials.
    """
    if not anonymous and not _names_a_user(path, arguments):
        arguments = ("-u", f"{warehouse.settings.clickhouse_user}:{admin_password(warehouse)}", *arguments)
    answer = subprocess.run(
        ["curl", "-sS", "-i", "-g", "-H", "Expect:", *arguments, f"{warehouse.url}{path}"],
        input=stdin,
        capture_output=True,
        check=True,
    )
    head, _, body = answer.stdout.partition(b"\r\n\r\n")
    text = head.decode().replace("\r\n", "\n") + "\n\n" + body.decode()
    return subprocess.CompletedProcess(answer.args, answer.returncode, text, answer.stderr.decode())


def split_response(raw: str) -> tuple[int, dict[str, str], str]:
    head, _, body = raw.partition("\n\n")
    status_line, *header_lines = head.split("\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


DRIVER_COMPRESSORS = {"lz4": lz4.Compressor, "lz4hc": lz4hc.Compressor}


def driver_frames(raw: bytes, method: str = "lz4") -> bytes:
    """``raw`` as clickhouse-driver frames a compressed block (what ``decompress=1`` bodies carry)."""
    framed = io.BytesIO()
    stream = CompressedBlockOutputStream(DRIVER_COMPRESSORS[method], 1 << 20, framed, None)
    stream.fout.write(raw)
    stream.finalize()
    return framed.getvalue()


def driver_unframe(body: bytes) -> bytes:
    """A ``compress=1`` answer read block by block by clickhouse-driver, which checks every block's checksum."""
    framed = io.BytesIO(body)
    stream = CompressedBlockInputStream(framed, None)
    blocks = []
    while framed.tell() < len(body):
        blocks.append(stream.read_block())
    return b"".join(blocks)
