"""The marts built once per test session by dbt on the sample lake, through the embedded warehouse."""

from __future__ import annotations

import pytest

from lakehouse.dbt import DbtBuild, build_marts
from lakehouse.ingest import IngestSummary
from lakehouse.warehouse import WarehouseProcess


@pytest.fixture(scope="session")
def marts(ingested_local: IngestSummary, warehouse: WarehouseProcess) -> DbtBuild:
    """``dbt build`` (models, tests, unit tests, reconciliations) on the sample lake."""
    return build_marts(warehouse.settings)
