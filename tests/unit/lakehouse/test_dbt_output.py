"""The one line a failed dbt run comes down to, from output dbt printed in this project's own runs."""

from __future__ import annotations

import pytest

from lakehouse.dbt import failure_reason

pytestmark = pytest.mark.unit


def test_a_failed_node_gives_its_name_and_the_engine_message() -> None:
    output = [
        "00:05:19  Completed with 2 errors, 0 partial successes, and 0 warnings:\n",
        "00:05:19  \n",
        "00:05:19  Failure in model campaign_type_performance (models/marts/promotions/campaign_type_performance.sql)"
        "\n",
        "00:05:19    Database Error in model campaign_type_performance "
        "(models/marts/promotions/campaign_type_performance.sql)\n",
        "  Received ClickHouse exception, code: 184, server response: Code: 184. DB::Exception: Aggregate function "
        "sum(households_redeeming) AS households_redeeming is found inside another aggregate function in query. "
        "(ILLEGAL_AGGREGATION) (for url http://127.0.0.1:8123)\n",
        "00:05:19  Failure in model promotion_product_weekly (models/marts/promotions/promotion_product_weekly.sql)\n",
    ]

    assert failure_reason(output) == (
        "Failure in model campaign_type_performance (models/marts/promotions/campaign_type_performance.sql): "
        "DB::Exception: Aggregate function sum(households_redeeming) AS households_redeeming is found inside "
        "another aggregate function in query. (ILLEGAL_AGGREGATION)"
    )


def test_a_failed_data_test_gives_its_name_and_how_many_rows_broke_it() -> None:
    output = [
        "00:10:02  Failure in test has_rows_x (models/x.yml)\n",
        "00:10:02    Got 1 result, configured to fail if != 0\n",
    ]

    assert (
        failure_reason(output) == "Failure in test has_rows_x (models/x.yml): Got 1 result, configured to fail if != 0"
    )


def test_an_error_before_any_node_gives_the_line_dbt_printed_after_it() -> None:
    parse_error = [
        "00:05:03  Encountered an error:\n",
        "Parsing Error in model fct_sales_lines (models/marts/category/fct_sales_lines.sql)\n",
        "  Invalid group 'category_management', expected one of []\n",
    ]
    address_in_use = ["00:19:53  Encountered an error:\n", "[Errno 98] Address already in use\n"]

    assert failure_reason(parse_error) == (
        "Parsing Error in model fct_sales_lines (models/marts/category/fct_sales_lines.sql)"
    )
    assert failure_reason(address_in_use) == "[Errno 98] Address already in use"
