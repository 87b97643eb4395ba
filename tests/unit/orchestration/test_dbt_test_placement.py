"""Which dbt tests a step runs: those whose parents the run no longer has to build."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from lakehouse.processes import free_port
from lakehouse.settings import Settings
from orchestration.defs.marts.assets import DbtTestPlacement, _table_metadata
from orchestration.resources import WarehouseResource

pytestmark = pytest.mark.unit


def _model(name: str) -> dict[str, Any]:
    return {"resource_type": "model", "name": name}


def _test(name: str, *parents: str, kind: str = "test") -> dict[str, Any]:
    return {"resource_type": kind, "name": name, "depends_on": {"nodes": list(parents)}}


STG, DIM, FCT, WEEKLY = "model.p.stg_sales", "model.p.dim_products", "model.p.fct_sales", "model.p.sales_weekly"
MANIFEST: dict[str, Any] = {
    "nodes": {
        STG: _model("stg_sales"),
        DIM: _model("dim_products"),
        FCT: _model("fct_sales"),
        WEEKLY: _model("sales_weekly"),
        "test.p.not_null_dim": _test("not_null_dim", DIM),
        "test.p.fct_to_dim": _test("fct_to_dim", FCT, DIM),
        "test.p.weekly_reconciles": _test("weekly_reconciles", WEEKLY, FCT),
        "test.p.source_has_rows": _test("source_has_rows", "source.p.silver.sales"),
    },
    "unit_tests": {"unit_test.p.weekly_logic": _test("weekly_logic", WEEKLY, kind="unit_test")},
    "child_map": {"source.p.silver.sales": [STG, "test.p.source_has_rows"]},
}
PLACEMENT = DbtTestPlacement(MANIFEST)


def test_a_test_waits_for_the_step_that_builds_the_last_of_its_parents() -> None:
    assert PLACEMENT.tests_for({DIM}, pending={FCT, WEEKLY}) == ["not_null_dim"]
    assert PLACEMENT.tests_for({FCT}, pending={WEEKLY}) == ["fct_to_dim"]
    assert PLACEMENT.tests_for({WEEKLY}, pending=set()) == ["weekly_logic", "weekly_reconciles"]


def test_a_parent_outside_the_run_already_exists_so_the_test_runs() -> None:
    assert PLACEMENT.tests_for({DIM}, pending=set()) == ["fct_to_dim", "not_null_dim"]


def test_a_source_test_runs_beside_the_model_that_reads_the_source() -> None:
    assert PLACEMENT.tests_for({STG}, pending={DIM, FCT}) == ["source_has_rows"]
    assert PLACEMENT.tests_for({DIM}, pending={STG, FCT}) == ["not_null_dim"]


def test_a_step_with_nothing_selected_runs_no_tests() -> None:
    assert PLACEMENT.tests_for(set(), pending={DIM}) == []


def test_a_built_table_whose_count_the_warehouse_cannot_answer_is_recorded_without_it_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path, clickhouse_url=f"http://127.0.0.1:{free_port()}")
    manifest = {"nodes": {FCT: {**_model("fct_sales"), "config": {"materialized": "table"},
                                "relation_name": "category.fct_sales"}}}  # fmt: skip
    built = dg.Output(None, output_name="fct_sales", metadata={"unique_id": FCT})

    with caplog.at_level(logging.WARNING):
        described = _table_metadata(built, DbtTestPlacement(manifest), WarehouseResource(settings=settings),
                                    logging.getLogger("dbt-step"))  # fmt: skip

    assert described == {}
    [warning] = [record.getMessage() for record in caplog.records if record.name == "dbt-step"]
    assert warning.startswith("category.fct_sales: built, but its row count is not recorded: ")
    assert "Connection refused" in warning
