"""Where each dbt test runs: in the step that builds the last of its parents."""

from __future__ import annotations

from typing import Any

import pytest

from orchestration.defs.marts.assets import BuildOrder

pytestmark = pytest.mark.unit


def _model(name: str, materialized: str = "table") -> dict[str, Any]:
    return {"resource_type": "model", "name": name, "config": {"materialized": materialized}}


def _test(name: str, *parents: str) -> dict[str, Any]:
    return {"resource_type": "test", "name": name, "depends_on": {"nodes": [f"model.p.{p}" for p in parents]}}


MANIFEST: dict[str, Any] = {
    "nodes": {
        "model.p.stg_sales": _model("stg_sales", "view"),
        "model.p.dim_products": _model("dim_products"),
        "model.p.fct_sales": _model("fct_sales", "incremental"),
        "model.p.sales_weekly": _model("sales_weekly"),
        "test.p.not_null_dim": _test("not_null_dim", "dim_products"),
        "test.p.fct_to_dim": _test("fct_to_dim", "fct_sales", "dim_products"),
        "test.p.weekly_reconciles": _test("weekly_reconciles", "sales_weekly", "fct_sales"),
    },
    "unit_tests": {"unit_test.p.weekly_logic": {**_test("weekly_logic", "sales_weekly"), "resource_type": "unit_test"}},
    "child_map": {
        "model.p.stg_sales": ["model.p.fct_sales", "model.p.dim_products"],
        "model.p.fct_sales": ["model.p.sales_weekly", "test.p.fct_to_dim"],
        "model.p.dim_products": ["test.p.not_null_dim", "test.p.fct_to_dim"],
        "model.p.sales_weekly": ["test.p.weekly_reconciles"],
    },
}


def test_models_fall_into_foundation_incremental_and_built_on_incremental_steps() -> None:
    order = BuildOrder.of(MANIFEST)

    assert order.step_of_model == {
        "model.p.stg_sales": 0,
        "model.p.dim_products": 0,
        "model.p.fct_sales": 1,
        "model.p.sales_weekly": 2,
    }


def test_a_test_across_steps_runs_in_the_later_step_only() -> None:
    order = BuildOrder.of(MANIFEST)

    assert order.tests_for({"model.p.stg_sales", "model.p.dim_products"}) == ["not_null_dim"]
    assert order.tests_for({"model.p.fct_sales"}) == ["fct_to_dim"]
    assert order.tests_for({"model.p.sales_weekly"}) == ["weekly_logic", "weekly_reconciles"]


def test_a_step_with_nothing_selected_runs_no_tests() -> None:
    assert BuildOrder.of(MANIFEST).tests_for(set()) == []
