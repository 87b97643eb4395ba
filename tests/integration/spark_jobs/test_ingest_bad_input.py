"""Bad landing input ends in quarantine or in a clear error naming the file and the rule; good rows are kept."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import SparkSession
from pyspark.sql.functions import count, count_distinct
from pyspark.sql.functions import sum as spark_sum

from lakehouse.ingest import IngestSummary, ingest_all, lake_layout
from lakehouse.landing.land import LandingManifest, weekly_path
from lakehouse.reconciliation import FIGURES, LANDING_SALES_WEEKLY, landing_sales_weekly
from lakehouse.settings import Settings
from tests.lake import landed_amount

pytestmark = pytest.mark.integration

GOOD_WEEK, BAD_WEEK = 20, 21


def _copy(source: Settings, target: Settings, relative: str) -> Path:
    destination = Path(target.landing_uri) / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(source.landing_uri) / relative, destination)
    return destination


def _write(settings: Settings, relative: str, table: pa.Table) -> str:
    destination = Path(settings.landing_uri) / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, destination)
    return relative


def _with(table: pa.Table, row: int, column: str, value: object) -> pa.Table:
    values = table[column].to_pylist()
    values[row] = value
    return table.set_column(
        table.schema.get_field_index(column), column, pa.array(values, table.schema.field(column).type)
    )


@pytest.fixture(scope="module")
def bad_landing(
    tmp_path_factory: pytest.TempPathFactory,
    local_settings: Settings,
    sample_landing: LandingManifest,
    spark: SparkSession,
) -> tuple[Settings, dict[str, str], pa.Table, IngestSummary]:
    """A landing with one good week and one file per kind of bad input, ingested once."""
    data_dir = tmp_path_factory.mktemp("bad")
    settings = Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "key")
    _copy(local_settings, settings, "products/products.parquet")
    _copy(local_settings, settings, weekly_path("transactions", GOOD_WEEK, "parquet"))
    week = pq.read_table(Path(local_settings.landing_uri) / weekly_path("transactions", BAD_WEEK, "parquet"))
    bad_files = {
        "negative quantity": ("negative", _with(week.slice(0, 5), 0, "quantity", -3)),
        "unknown product": ("unknown", _with(week.slice(5, 4), 0, "product_id", 1)),
        "future date": ("future", _with(week.slice(9, 4), 0, "transaction_timestamp", datetime(2999, 1, 1))),
        "duplicate rows": ("duplicates", pa.concat_tables([week.slice(13, 3), week.slice(13, 1)])),
        "wrong type": ("wrong_type", week.slice(16, 4).set_column(4, "quantity", pa.array(["1", "2", "three", "4"]))),
        "missing column": ("missing_column", week.slice(20, 3).drop_columns(["quantity"])),
        "week 99": ("week_99", _with(week.slice(28, 4), 0, "week", 99)),
        "odd file name": ("wëek 21 \u2013 copy (1) #2 %20", week.slice(32, 4)),
    }
    files = {
        case: _write(settings, f"transactions/bad/{stem}.parquet", rows) for case, (stem, rows) in bad_files.items()
    }
    truncated = Path(settings.landing_uri) / "transactions/bad/truncated.parquet"
    pq.write_table(week.slice(23, 5), truncated)
    truncated.write_bytes(truncated.read_bytes()[:-40])
    files["truncated parquet"] = "transactions/bad/truncated.parquet"
    (Path(settings.landing_uri) / "transactions/bad/empty.parquet").write_bytes(b"")
    files["empty file"] = "transactions/bad/empty.parquet"
    summary = ingest_all(lambda: spark, settings, ["products", "transactions"])
    return settings, files, week, summary


def _quarantined(spark: SparkSession, settings: Settings, source_file: str) -> list[str]:
    quarantine = spark.read.format("delta").load(lake_layout(settings).quarantine("transactions"))
    return [row["_rule"] for row in quarantine.where(f"_source_file = '{source_file}'").collect()]


@pytest.mark.parametrize(
    ("case", "rules"),
    [
        ("negative quantity", ["quantity_not_negative"]),
        ("unknown product", []),
        ("future date", ["not_in_future: transaction_timestamp"]),
        ("duplicate rows", ["duplicate_key: the row from the newest landing file wins"]),
        ("wrong type", ["type: quantity is not bigint"]),
        ("week 99", ["week_in_range: 1-53"]),
        ("odd file name", []),
    ],
)
def test_a_bad_row_goes_to_quarantine_with_its_rule_and_file(
    case: str,
    rules: list[str],
    bad_landing: tuple[Settings, dict[str, str], pa.Table, IngestSummary],
    spark: SparkSession,
) -> None:
    settings, files, _, _ = bad_landing
    assert _quarantined(spark, settings, files[case]) == rules


def test_the_good_rows_around_bad_ones_are_kept(
    bad_landing: tuple[Settings, dict[str, str], pa.Table, IngestSummary], spark: SparkSession
) -> None:
    settings, files, _, _ = bad_landing
    silver = spark.read.format("delta").load(lake_layout(settings).silver("transactions"))
    kept = {row["_source_file"]: row["count"] for row in silver.groupBy("_source_file").count().collect()}
    assert kept[files["negative quantity"]] == 4
    assert kept[files["unknown product"]] == 4
    assert kept[files["wrong type"]] == 3
    assert kept[files["duplicate rows"]] == 3
    assert kept[files["week 99"]] == 3
    assert kept[files["odd file name"]] == 4


def test_rows_in_equal_rows_accepted_plus_quarantined(
    bad_landing: tuple[Settings, dict[str, str], pa.Table, IngestSummary],
) -> None:
    _, _, _, summary = bad_landing
    report = summary.tables["transactions"]

    assert report.rows_in == report.rows_accepted + report.rows_quarantined
    assert report.rows_quarantined == 5


def test_a_line_of_a_product_the_catalogue_lacks_is_a_sale_kept_in_silver(
    bad_landing: tuple[Settings, dict[str, str], pa.Table, IngestSummary], spark: SparkSession
) -> None:
    settings, files, week, _ = bad_landing
    catalogue = set(pq.read_table(Path(settings.landing_uri) / "products/products.parquet")["product_id"].to_pylist())
    silver = spark.read.format("delta").load(lake_layout(settings).silver("transactions"))

    kept = silver.where(f"_source_file = '{files['unknown product']}' and product_id = 1").collect()

    assert 1 not in catalogue
    assert [(row["basket_id"], row["sales_value"]) for row in kept] == [
        (week["basket_id"][5].as_py(), landed_amount(week["sales_value"][5].as_py()))
    ]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("truncated parquet", "unreadable Parquet"),
        ("empty file", "empty file"),
        ("missing column", "schema: missing column(s) quantity; only additive schema changes are accepted"),
    ],
)
def test_a_file_that_cannot_be_ingested_is_reported_by_name_and_ingests_nothing(
    case: str, reason: str, bad_landing: tuple[Settings, dict[str, str], pa.Table, IngestSummary]
) -> None:
    _, files, _, summary = bad_landing
    assert summary.tables["transactions"].unreadable[files[case]].startswith(reason)


def test_non_utf8_bytes_in_a_csv_row_quarantine_that_row(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = Settings(data_dir=tmp_path, tokenisation_key_file=tmp_path / "secrets" / "key")
    source = (Path(local_settings.landing_uri) / "stores/stores.csv").read_bytes().splitlines()
    broken = [*source[:2], source[2].replace(b",", b",Caf\xe9 ", 1), *source[3:]]
    target = Path(settings.landing_uri) / "stores/stores.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\n".join(broken) + b"\n")

    report = ingest_all(lambda: spark, settings, ["stores"]).tables["stores"]

    assert report.by_rule == {"encoding: not UTF-8": 1}
    assert report.rows_accepted == len(source) - 2


def test_the_landing_figures_recorded_with_ingestion_are_silver_week_by_week_less_what_quarantine_holds(
    bad_landing: tuple[Settings, dict[str, str], pa.Table, IngestSummary], spark: SparkSession
) -> None:
    settings, _, _, _ = bad_landing
    layout = lake_layout(settings)
    silver = spark.read.format("delta").load(layout.silver("transactions"))
    by_week = silver.groupBy("week").agg(
        count("*").alias("lines"),
        count_distinct("basket_id").alias("baskets"),
        count_distinct("household_id").alias("households"),
        spark_sum("quantity").alias("units"),
        spark_sum("sales_value").alias("sales_value"),
    )
    expected = {row["week"]: (row["lines"], row["baskets"], row["households"], row["units"], row["sales_value"])
                for row in by_week.collect()}  # fmt: skip
    recorded = spark.read.format("delta").load(f"{layout.root}/{LANDING_SALES_WEEKLY}")

    figures = landing_sales_weekly(settings, layout)

    computed = {row["week"]: tuple(row[name] for name in FIGURES) for row in figures.to_pylist()}
    assert sorted(expected) == [GOOD_WEEK, BAD_WEEK]
    assert computed == expected
    assert {row["week"]: tuple(row[name] for name in FIGURES) for row in recorded.collect()} == expected
