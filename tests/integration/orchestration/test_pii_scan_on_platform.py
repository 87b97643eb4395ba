"""``lakehouse pii-scan`` on the orchestrated sample's output: clean, until a raw email is planted in a mart."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from lakehouse.landing.storage import landing_store
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client
from orchestration.materialise import PlatformRun

pytestmark = pytest.mark.integration

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))
PLANTED_HOUSEHOLD = -1


def _pii_scan(settings: Settings) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **settings.as_environment()}
    return subprocess.run(
        [LAKEHOUSE, "pii-scan"], capture_output=True, text=True, env=environment, check=False, timeout=900
    )


def _a_profile_email(settings: Settings) -> str:
    store = landing_store(settings)
    with store.filesystem.open_input_stream(store.path("customers/customers.csv")) as source:
        return str(pacsv.read_csv(io.BytesIO(source.read()))["email"][0])


@pytest.fixture
def planted_email(platform_run: PlatformRun, platform_settings: Settings) -> Iterator[str]:
    """A raw profile email written into the segment column of loyalty.household_rfm, removed afterwards."""
    email = _a_profile_email(platform_settings)
    admin = admin_client(platform_settings)
    admin.insert(
        "loyalty.household_rfm",
        [[PLANTED_HOUSEHOLD, 53, 0, 1, 1.0, 1, 1, 1, email]],
        column_names=[
            "household_id", "last_purchase_week", "recency_weeks", "frequency_baskets", "monetary_value",
            "recency_score", "frequency_score", "monetary_score", "segment",
        ],
    )  # fmt: skip
    yield email
    admin.command(f"ALTER TABLE loyalty.household_rfm DELETE WHERE household_id = {PLANTED_HOUSEHOLD} "
                  "SETTINGS mutations_sync = 2")  # fmt: skip


def test_the_scan_is_clean_on_the_sample_pipelines_output(
    platform_run: PlatformRun, platform_settings: Settings
) -> None:
    scan = _pii_scan(platform_settings)

    assert scan.returncode == 0, scan.stdout + scan.stderr
    assert "clean: no raw personal data" in scan.stdout
    assert "scanning silver tables" in scan.stdout
    assert "scanning warehouse tables (marts)" in scan.stdout
    assert "scanning log files" in scan.stdout


def test_a_raw_email_planted_in_a_mart_fails_the_scan_naming_where_without_printing_it(
    planted_email: str, platform_settings: Settings
) -> None:
    scan = _pii_scan(platform_settings)

    assert scan.returncode == 1, scan.stdout + scan.stderr
    assert "PII warehouse loyalty.household_rfm column segment: planted email" in scan.stdout
    assert "PII warehouse loyalty.household_rfm column segment: Presidio EMAIL_ADDRESS" in scan.stdout
    assert "raw personal data in 2 place(s)" in scan.stdout
    assert planted_email not in scan.stdout + scan.stderr
