"""The official ClickHouse JDBC driver, run by Maven as SQL tools run it, against the warehouse process."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import ANALYST, admin_password

JDBC_PROJECT = Path(__file__).resolve().parents[2] / "jdbc"


def test_the_jdbc_driver_with_its_default_url_serves_the_admin_and_the_analyst(warehouse: WarehouseProcess) -> None:
    environment = {
        **os.environ,
        "WAREHOUSE_URL": warehouse.url,
        "ADMIN_USER": warehouse.settings.clickhouse_user,
        "ADMIN_PASSWORD": admin_password(warehouse),
        "ANALYST_USER": ANALYST[0],
        "ANALYST_PASSWORD": ANALYST[1],
    }
    run = subprocess.run(
        ["mvn", "-q", "-B", "test"], cwd=JDBC_PROJECT, env=environment, capture_output=True, text=True, check=False
    )

    report = ElementTree.parse(
        JDBC_PROJECT / "target" / "surefire-reports" / "TEST-lakehouse.jdbc.WarehouseJdbcTest.xml"
    )
    counts = {name: int(report.getroot().get(name, "0")) for name in ("tests", "failures", "errors", "skipped")}
    assert run.returncode == 0, run.stdout[-4000:]
    assert counts == {"tests": 51, "failures": 0, "errors": 0, "skipped": 0}
