"""Which failures are final: a broken table rule or dbt test is; a dbt failure while the warehouse is down is not."""

from __future__ import annotations

import dagster as dg
import pytest

from lakehouse.dbt import DbtBuildError
from orchestration.failures import data_errors_are_final
from spark_jobs.quality import TableRuleError

pytestmark = pytest.mark.unit

DBT_FAILURE = (
    "Failure in test relationships_fct_sales_lines_product_id__product_id__ref_dim_products_ "
    "(models/marts/category/fct_sales_lines.yml): Got 3 results, configured to fail if != 0"
)


def test_a_broken_table_rule_fails_for_good_with_its_first_line() -> None:
    with pytest.raises(dg.Failure) as failure, data_errors_are_final():
        raise TableRuleError("table 'stores': batch not committed: file stores/stores.csv broke table rule\nmore")

    assert failure.value.allow_retries is False
    assert failure.value.description == "table 'stores': batch not committed: file stores/stores.csv broke table rule"


def test_a_failed_dbt_test_fails_for_good_naming_the_test() -> None:
    with pytest.raises(dg.Failure) as failure, data_errors_are_final():
        raise DbtBuildError(DBT_FAILURE)

    assert failure.value.allow_retries is False
    assert failure.value.description == (
        "dbt: Failure in test relationships_fct_sales_lines_product_id__product_id__ref_dim_products_ "
        "(models/marts/category/fct_sales_lines.yml): Got 3 results, configured to fail if != 0"
    )


def test_a_dbt_failure_while_the_warehouse_does_not_answer_is_left_to_the_retry_policy() -> None:
    with pytest.raises(DbtBuildError), data_errors_are_final("http://127.0.0.1:9"):
        raise DbtBuildError(DBT_FAILURE)
