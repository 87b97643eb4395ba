"""``lakehouse pii-scan`` finds a planted identifier of each kind in each place it reads, naming the place."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from governance.pii_scan import PiiScanner, PlantedValues
from lakehouse.ingest import lake_layout
from lakehouse.pii_scan import presidio, scan_dagster_storage, scan_exports, scan_logs, scan_quarantine
from lakehouse.settings import Settings

pytestmark = pytest.mark.integration

CANARIES = {
    "IBAN_CODE": "refund to GB82WEST12345698765432 please",
    "UK_NINO": "my NI number is QQ 12 34 56 C",
    "US_SSN": "ssn 536-22-8726 on the form",
    "IP_ADDRESS": "logged in from 81.2.69.160",
    "EMAIL_ADDRESS": "write to zq dot canary at example dot org",
    "PHONE_NUMBER": "call me on 0113 496 0000",
    "CREDIT_CARD": "card 4532015112830366 charged twice",
}


def _json_log_line(message: str) -> str:
    """A log record as Dagster's daemon writes it: the message among clock readings and thread ids."""
    return json.dumps(
        {
            "created": 1796105321.8723373,
            "relativeCreated": 73924.10230636597,
            "thread": 140603849426624,
            "process": 16296,
            "msg": message,
            "dagster_meta": {"time_windows": [[1482710400.0, 1514764800.0]]},
        }
    )


@pytest.fixture(scope="module")
def planted_everywhere(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data folder whose quarantine, exports, logs and Dagster storage each hold every canary."""
    data_dir = tmp_path_factory.mktemp("planted")
    settings = Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "key")
    records = [json.dumps({"household_id": 1, "text_masked": text}) for text in CANARIES.values()]
    write_deltalake(lake_layout(settings).quarantine("customer_feedback"), pa.table({"_record": records}))
    settings.exports_dir.mkdir(parents=True)
    (settings.exports_dir / "weekly.csv").write_text("note\n" + "\n".join(CANARIES.values()) + "\n")
    (data_dir / "logs").mkdir()
    (data_dir / "logs" / "lakehouse.log").write_text("\n".join(CANARIES.values()) + "\n")
    (data_dir / "logs" / "sensor.err").write_text("\n".join(_json_log_line(text) for text in CANARIES.values()) + "\n")
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.local_temp(str(settings.dagster_home)) as instance:
        for entity, text in CANARIES.items():
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=f"planted_{entity.lower()}", metadata={"note": text})
            )
    return settings


@pytest.mark.parametrize(
    ("scan", "place"),
    [
        (scan_quarantine, "quarantine/customer_feedback column _record field text_masked"),
        (scan_exports, "export "),
        (scan_logs, "log "),
        (scan_dagster_storage, "dagster "),
    ],
)
def test_each_kind_of_identifier_is_found_in_each_place_and_named_there(
    planted_everywhere: Settings, scan: object, place: str
) -> None:
    scanner = PiiScanner(PlantedValues({}), presidio(planted_everywhere))

    assert callable(scan)
    scan(planted_everywhere, scanner)

    found = {finding.kind for finding in scanner.results if finding.location.startswith(place)}
    assert found >= {f"Presidio {entity}" for entity in CANARIES}
    assert not [finding for finding in scanner.results if "canary" in finding.describe()]


def test_the_numbers_of_a_json_log_record_are_not_taken_for_phones_or_cards(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, tokenisation_key_file=tmp_path / "secrets" / "key")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "sensor.err").write_text(
        _json_log_line("Freshness check previously passed. Skipping...") + "\n"
    )
    scanner = PiiScanner(PlantedValues({}), presidio(settings))

    scan_logs(settings, scanner)

    assert scanner.values_scanned == 1  # the message: the only string in the record
    assert scanner.results == []
