"""The API as ``lakehouse up`` starts it: the warehouse belongs to ``up``, so the API never starts one of its own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from lakehouse.api_process import ApiProcess
from lakehouse.processes import answers, free_port
from lakehouse.settings import Settings

pytestmark = pytest.mark.integration


def test_an_api_started_by_up_answers_not_ready_while_the_warehouse_is_down_and_starts_none_it_would_orphan(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, clickhouse_url=f"http://127.0.0.1:{free_port()}")
    api = ApiProcess(settings, free_port(), starts_warehouse=False).start()
    try:
        ready = httpx.get(f"{api.url}/readyz", timeout=10)

        assert ready.status_code == 503, ready.text
        assert not answers(f"{settings.clickhouse_url}/ping")
        assert settings.warehouse_data_path is not None and not settings.warehouse_data_path.exists()
        assert api.process is not None and api.process.poll() is None
    finally:
        api.stop()
