"""Every mart's core logic is pinned by a dbt unit test with hand-checkable rows."""

from __future__ import annotations

import pytest
import yaml

from lakehouse.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

MARTS = PROJECT_ROOT / "dbt_project" / "models" / "marts"


def test_every_mart_has_a_dbt_unit_test_with_given_and_expected_rows() -> None:
    marts = sorted(path.stem for path in MARTS.rglob("*.sql"))
    unit_tests = [
        case for path in MARTS.rglob("*.yml") for case in (yaml.safe_load(path.read_text()) or {}).get("unit_tests", [])
    ]
    tested = {case["model"] for case in unit_tests if case["given"] and case["expect"]["rows"]}

    assert len(marts) == 16
    assert [mart for mart in marts if mart not in tested] == []
