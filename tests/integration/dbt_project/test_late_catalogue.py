"""A sale of a product the catalogue does not list yet reaches the marts, and moves when a later catalogue lists it.

The sample is landed again with its best-selling product left out of the
catalogue. Its lines are kept in silver and built under the inferred member
(`UNKNOWN`); a later catalogue file lists the product, and the next ingestion and
build move exactly those lines to its real department, none lost or counted twice.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession

from lakehouse.dbt import build_marts
from lakehouse.ingest import ingest_all
from lakehouse.landing.land import LandingManifest
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess
from tests.clickhouse import connect, warehouse_on_free_port
from tests.lake import landed_total

pytestmark = pytest.mark.integration

SALES_TABLES = ["stores", "products", "coupons", "transactions", "promotions"]
"""What ``+category_sales_weekly`` reads: the sales, and every table that names a product."""
SALES_MARTS = ("--select", "+category_sales_weekly", "--indirect-selection", "cautious")
CATALOGUE = "products/products.parquet"


@dataclass(frozen=True)
class LateCatalogue:
    settings: Settings
    warehouse: WarehouseProcess
    product: dict[str, object]
    """The catalogue row of the product left out of the first catalogue file."""
    landed_lines: int
    landed_sales: Decimal
    product_lines: int


def _landing_transactions(settings: Settings) -> pa.Table:
    return ds.dataset(Path(settings.landing_uri) / "transactions", format="parquet").to_table(
        columns=["product_id", "sales_value"]
    )


def _lines_per_department(
    warehouse: WarehouseProcess, mart: str, lines: str, of_product: int | None = None
) -> dict[str, int]:
    where = "" if of_product is None else f"WHERE product_id = {int(of_product)}"
    rows = connect(warehouse).query(f"SELECT department, {lines} FROM category.{mart} {where} GROUP BY department")
    return {str(department): int(count) for department, count in rows.result_rows}


def _totals(warehouse: WarehouseProcess) -> tuple[int, Decimal]:
    totals = connect(warehouse).query("SELECT count(), sum(sales_value) FROM category.fct_sales_lines")
    lines, sales = totals.result_rows[0]
    return int(lines), sales


@pytest.fixture(scope="module")
def late_catalogue(
    tmp_path_factory: pytest.TempPathFactory,
    local_settings: Settings,
    sample_landing: LandingManifest,
    spark: SparkSession,
) -> Iterator[LateCatalogue]:
    """The sample's sales landed and ingested with one product missing from the catalogue, and marts built on it."""
    data_dir = tmp_path_factory.mktemp("late_catalogue")
    settings = Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "key")
    shutil.copytree(local_settings.landing_uri, settings.landing_uri)
    transactions = _landing_transactions(settings)
    lines_per_product = Counter(transactions["product_id"].to_pylist())
    product_id, product_lines = lines_per_product.most_common(1)[0]
    catalogue = pq.read_table(Path(settings.landing_uri) / CATALOGUE)
    listed = pc.equal(catalogue["product_id"], product_id)
    pq.write_table(catalogue.filter(pc.invert(listed)), Path(settings.landing_uri) / CATALOGUE)
    summary = ingest_all(lambda: spark, settings, SALES_TABLES)
    assert not summary.failed, summary.failed
    with warehouse_on_free_port(settings, data_dir / "warehouse") as warehouse:
        build_marts(warehouse.settings, *SALES_MARTS)
        yield LateCatalogue(
            settings=settings,
            warehouse=warehouse,
            product=catalogue.filter(listed).to_pylist()[0],
            landed_lines=transactions.num_rows,
            landed_sales=landed_total(transactions["sales_value"].to_pylist()),
            product_lines=product_lines,
        )


def test_lines_of_a_product_not_yet_catalogued_are_sales_under_the_inferred_member(
    late_catalogue: LateCatalogue,
) -> None:
    product_id = int(str(late_catalogue.product["product_id"]))
    member = (
        connect(late_catalogue.warehouse)
        .query(
            "SELECT department, product_category, brand_type, is_inferred FROM category.dim_products "
            "WHERE product_id = {product:Int64}",
            parameters={"product": product_id},
        )
        .result_rows
    )

    assert member == [("UNKNOWN", "UNKNOWN", "unknown", True)]
    assert _lines_per_department(late_catalogue.warehouse, "fct_sales_lines", "count()", product_id) == {
        "UNKNOWN": late_catalogue.product_lines
    }
    assert _totals(late_catalogue.warehouse) == (late_catalogue.landed_lines, late_catalogue.landed_sales)


def test_a_later_catalogue_file_moves_those_lines_to_the_real_department_none_lost_or_doubled(
    late_catalogue: LateCatalogue, spark: SparkSession
) -> None:
    product = late_catalogue.product
    product_id = int(str(product["product_id"]))
    settings = late_catalogue.settings
    later = Path(settings.landing_uri) / "products" / "products_late.parquet"
    schema = pq.read_schema(Path(settings.landing_uri) / CATALOGUE)
    pq.write_table(pa.Table.from_pylist([product], schema=schema), later)

    before = _lines_per_department(late_catalogue.warehouse, "category_sales_weekly", "sum(lines)")
    summary = ingest_all(lambda: spark, settings, ["products"])
    build_marts(late_catalogue.warehouse.settings, *SALES_MARTS)

    assert not summary.failed, summary.failed
    members = (
        connect(late_catalogue.warehouse)
        .query(
            "SELECT department, is_inferred FROM category.dim_products WHERE product_id = {product:Int64}",
            parameters={"product": product_id},
        )
        .result_rows
    )
    assert members == [(product["department"], False)]
    assert _lines_per_department(late_catalogue.warehouse, "fct_sales_lines", "count()", product_id) == {
        str(product["department"]): late_catalogue.product_lines
    }
    assert _totals(late_catalogue.warehouse) == (late_catalogue.landed_lines, late_catalogue.landed_sales)
    after = _lines_per_department(late_catalogue.warehouse, "category_sales_weekly", "sum(lines)")
    assert after == _lines_per_department(late_catalogue.warehouse, "fct_sales_lines", "count()")
    department = str(product["department"])
    assert after.get("UNKNOWN", 0) == before["UNKNOWN"] - late_catalogue.product_lines
    assert after[department] == before.get(department, 0) + late_catalogue.product_lines
