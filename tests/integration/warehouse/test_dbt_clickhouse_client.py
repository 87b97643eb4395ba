"""dbt-clickhouse against the embedded warehouse: debug, build (twice, for the incremental) and docs generate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import admin_password, connect

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).parent / "dbt_compat"
DBT = str(Path(sys.executable).with_name("dbt"))


def _dbt(warehouse: WarehouseProcess, target: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "CLICKHOUSE_PORT": str(warehouse.url.rsplit(":", 1)[1]),
        "CLICKHOUSE_PASSWORD": admin_password(warehouse),
        "DBT_TARGET_PATH": str(target / "target"),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_USE_COLORS": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [DBT, *arguments, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)]
    return subprocess.run(command, capture_output=True, text=True, env=environment, check=False)


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt-compat")


def test_dbt_debug_connects(warehouse: WarehouseProcess, dbt_target: Path) -> None:
    result = _dbt(warehouse, dbt_target, "debug")

    assert result.returncode == 0, result.stdout
    assert "Connection test: [OK connection ok]" in result.stdout


def test_dbt_build_runs_every_materialisation_and_test_and_reruns_cleanly(
    warehouse: WarehouseProcess, dbt_target: Path
) -> None:
    first = _dbt(warehouse, dbt_target, "build")
    second = _dbt(warehouse, dbt_target, "build")

    assert first.returncode == 0, first.stdout
    assert "PASS=9 WARN=0 ERROR=0 SKIP=0" in first.stdout
    assert second.returncode == 0, second.stdout
    client = connect(warehouse)
    assert client.query(
        "SELECT count(), sum(lines), round(sum(basket_value), 2) FROM compat.basket_totals"
    ).result_rows == [(10, 30, round(sum(1.25 * n for n in range(1, 31)), 2))]
    assert client.query("SELECT count() FROM compat.dairy_lines").result_rows == [(10,)]
    assert (
        client.command("SELECT engine FROM system.tables WHERE database = 'compat' AND name = 'dairy_lines'") == "View"
    )


def test_dbt_docs_generate_catalogues_the_models_and_their_columns(
    warehouse: WarehouseProcess, dbt_target: Path
) -> None:
    assert _dbt(warehouse, dbt_target, "build").returncode == 0
    result = _dbt(warehouse, dbt_target, "docs", "generate")

    assert result.returncode == 0, result.stdout
    catalog = json.loads((dbt_target / "target" / "catalog.json").read_text())
    lines = catalog["nodes"]["model.warehouse_compat.basket_lines"]
    assert set(catalog["nodes"]) == {
        "model.warehouse_compat.basket_lines",
        "model.warehouse_compat.basket_totals",
        "model.warehouse_compat.dairy_lines",
    }
    assert list(lines["columns"]) == ["basket_id", "line_no", "department", "sales_value"]
