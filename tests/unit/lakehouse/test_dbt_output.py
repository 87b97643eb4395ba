"""The one line a failed dbt command comes down to, from the results dbt gave for this project's own nodes."""

from __future__ import annotations

import pytest

from lakehouse.dbt import DbtResult, failure_reason, results_of_run

pytestmark = pytest.mark.unit

CLICKHOUSE_ERROR = (
    "Database Error in model campaign_type_performance (models/marts/promotions/campaign_type_performance.sql)\n"
    "  Received ClickHouse exception, code: 184, server response: Code: 184. DB::Exception: Aggregate function "
    "sum(households_redeeming) AS households_redeeming is found inside another aggregate function in query. "
    "(ILLEGAL_AGGREGATION) (for url http://127.0.0.1:8123)"
)


def _result(kind: str, name: str, path: str, status: str, message: str = "") -> DbtResult:
    return DbtResult(kind=kind, name=name, path=path, status=status, message=message)


def test_a_failed_node_gives_its_name_and_the_engine_message() -> None:
    results = [
        _result("model", "dim_products", "models/marts/category/dim_products.sql", "success", "OK"),
        _result(
            "model", "campaign_type_performance", "models/marts/promotions/campaign_type_performance.sql", "error",
            CLICKHOUSE_ERROR,
        ),
        _result("model", "promotion_product_weekly", "models/marts/promotions/promotion_product_weekly.sql", "error"),
    ]  # fmt: skip

    assert failure_reason(results) == (
        "Failure in model campaign_type_performance (models/marts/promotions/campaign_type_performance.sql): "
        "DB::Exception: Aggregate function sum(households_redeeming) AS households_redeeming is found inside "
        "another aggregate function in query. (ILLEGAL_AGGREGATION)"
    )


def test_a_failed_data_test_gives_its_name_and_how_many_rows_broke_it() -> None:
    results = [_result("test", "has_rows_x", "models/x.yml", "fail", "Got 1 result, configured to fail if != 0")]

    assert failure_reason(results) == (
        "Failure in test has_rows_x (models/x.yml): Got 1 result, configured to fail if != 0"
    )


def test_an_error_before_any_node_gives_dbts_error_in_one_line() -> None:
    parse_error = (
        "Parsing Error in model fct_sales_lines (models/marts/category/fct_sales_lines.sql)\n"
        "  Invalid group 'category_management', expected one of []\n"
    )

    assert failure_reason([], parse_error) == (
        "Parsing Error in model fct_sales_lines (models/marts/category/fct_sales_lines.sql): "
        "Invalid group 'category_management', expected one of []"
    )
    assert failure_reason([], "[Errno 98] Address already in use") == "[Errno 98] Address already in use"
    assert failure_reason([]) == "dbt exited with an error before running any node"


def test_run_results_are_described_from_the_manifest_that_ran_them() -> None:
    uid = "test.consumer_insight.relationships_fct_sales_lines_product_id.1a2b3c"
    manifest = {"nodes": {uid: {
        "resource_type": "test", "name": "relationships_fct_sales_lines_product_id",
        "original_file_path": "models/marts/category/fct_sales_lines.yml",
    }}}  # fmt: skip
    run_results = {"results": [{"unique_id": uid, "status": "fail", "message": "Got 3 results, configured to fail"}]}

    (result,) = results_of_run(run_results, manifest)

    assert result == _result(
        "test", "relationships_fct_sales_lines_product_id", "models/marts/category/fct_sales_lines.yml", "fail",
        "Got 3 results, configured to fail",
    )  # fmt: skip
