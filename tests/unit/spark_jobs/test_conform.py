"""Silver's pure steps on small frames: typing, row rules, references, duplicates and re-deliveries."""

from __future__ import annotations

from datetime import datetime

import pytest
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql.functions import col, lit
from pyspark.testing import assertDataFrameEqual

from spark_jobs.conform import (
    DUPLICATE_DELIVERY,
    ROW_IDENTITY,
    RULE,
    judge_rows,
    judge_text_length,
    mark_duplicates,
    mark_redelivered,
    redelivered,
    row_identity,
    type_rows,
    with_week,
)
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.unit

STORES = TABLES["stores"]
EARLY, LATE = datetime(2026, 11, 1), datetime(2026, 11, 8)


def _bronze_stores(spark: SparkSession, *rows: tuple[str | None, ...]) -> DataFrame:
    """Store rows as bronze holds them (every value a string), with ingest metadata."""
    columns = "store_id string, retailer_id string, retailer_name string, country string, _source_file string, "
    columns += "_source_checksum string, _ingested_at timestamp, _batch_id string"
    return spark.createDataFrame([(*row[:4], row[4], "c", EARLY, "b") for row in rows], columns)


def _verdicts(frame: DataFrame, key: str = "store_id") -> dict[object, str | None]:
    return {row[key]: row[RULE] for row in frame.select(key, RULE).collect()}


def test_values_are_typed_and_a_value_that_is_not_its_type_names_the_column(spark: SparkSession) -> None:
    bronze = _bronze_stores(spark, ("1", "R01", "North", "GB", "a.csv"), ("x7", "R02", "South", "US", "a.csv"))

    typed = type_rows(bronze, STORES)

    assert dict(typed.dtypes)["store_id"] == "bigint"
    assert [(row["store_id"], row[RULE]) for row in typed.orderBy("retailer_id").collect()] == [
        (1, None),
        (None, "type: store_id is not bigint"),
    ]


def test_an_amount_is_exact_cents_and_float_noise_is_the_cent_it_stands_for(spark: SparkSession) -> None:
    landed = ["2.99", "2.9899999999999998", "1.776357e-15", "840", "1.234", "ten", None]
    columns = [name for name, _ in TABLES["transactions"].columns]
    valid: dict[str, object] = {name: "1" for name in columns}
    valid["transaction_timestamp"] = "2017-01-01 10:00:00"
    rows = [valid | {"basket_id": str(index), "sales_value": value} for index, value in enumerate(landed)]
    metadata = {"_source_file": "t.parquet", "_source_checksum": "c", "_ingested_at": EARLY, "_batch_id": "b"}
    bronze = spark.createDataFrame([Row(**(row | metadata)) for row in rows])

    typed = type_rows(bronze, TABLES["transactions"]).orderBy(col("basket_id"))

    assert dict(typed.dtypes)["sales_value"] == "decimal(18,2)"
    not_cents = "type: sales_value is not decimal(18,2) (an amount with at most 2 decimals)"
    assert [(str(row["sales_value"]), row[RULE]) for row in typed.collect()] == [
        ("2.99", None),
        ("2.99", None),
        ("0.00", None),
        ("840.00", None),
        ("None", not_cents),
        ("None", not_cents),
        ("None", None),
    ]


def test_a_replacement_character_is_refused_as_not_utf8(spark: SparkSession) -> None:
    bronze = _bronze_stores(spark, ("3", "R03", "M\ufffdnchen", "DE", "latin1.csv"))

    assert _verdicts(type_rows(bronze, STORES)) == {3: "encoding: not UTF-8"}


def test_row_rules_judge_only_rows_not_already_rejected(spark: SparkSession) -> None:
    typed = type_rows(
        _bronze_stores(spark, ("1", None, "North", "GB", "a.csv"), ("x", "R02", "South", "US", "a.csv")), STORES
    )

    judged = judge_rows(typed, STORES, {})

    assert sorted(row[RULE] for row in judged.collect()) == [
        "not_null: store_id, retailer_id",
        "type: store_id is not bigint",
    ]


def test_a_reference_to_an_unknown_key_is_named_with_its_table(spark: SparkSession) -> None:
    campaigns = TABLES["campaigns"]
    rows = spark.createDataFrame([(10, 1, None), (11, 2, None)], "campaign_id long, household_id long, _rule string")
    known = {"campaign_descriptions": spark.createDataFrame([(10,)], "campaign_id long")}

    judged = judge_rows(rows, campaigns, known)

    assert _verdicts(judged, "household_id") == {
        1: None,
        2: "unknown_campaign_id: not in silver campaign_descriptions",
    }


def test_a_coupon_naming_a_product_the_catalogue_lacks_is_kept(spark: SparkSession) -> None:
    coupons = TABLES["coupons"]
    rows = spark.createDataFrame(
        [(1, 10, 100, None), (2, 11, 999, None)], "coupon_upc long, campaign_id long, product_id long, _rule string"
    )

    judged = judge_rows(rows, coupons, {})

    assert _verdicts(judged, "coupon_upc") == {1: None, 2: None}
    assert sorted(judged.columns) == sorted(rows.columns)


def test_text_over_the_limit_is_quarantined_without_being_read_further(spark: SparkSession) -> None:
    rows = spark.createDataFrame([(1, "short", None), (2, "x" * 11, None)], "id long, text string, _rule string")

    judged = judge_text_length(rows, ["text", "not_there"], max_chars=10)

    assert _verdicts(judged, "id") == {1: None, 2: "text_too_long: text over 10 characters"}


def test_a_weekly_table_keyed_by_a_date_gets_the_data_week_of_that_date(spark: SparkSession) -> None:
    feedback = TABLES["customer_feedback"]
    rows = spark.createDataFrame(
        [(datetime(2017, 1, 1, 9),), (datetime(2017, 1, 2, 9),), (datetime(2017, 12, 31, 9),)], "submitted_at timestamp"
    )

    assert [row["week"] for row in with_week(rows, feedback).collect()] == [1, 2, 53]


def _accepted_stores(spark: SparkSession, *rows: tuple[int, str, str, datetime]) -> DataFrame:
    """Typed store rows, accepted so far: (store_id, retailer_name, source file, ingested at)."""
    return spark.createDataFrame(
        [(store, "R01", name, "GB", source, "c", at, "b", None) for store, name, source, at in rows],
        "store_id long, retailer_id string, retailer_name string, country string, _source_file string, "
        "_source_checksum string, _ingested_at timestamp, _batch_id string, _rule string",
    )


def test_of_rows_sharing_a_key_the_newest_file_wins_and_an_exact_copy_is_a_redelivery(spark: SparkSession) -> None:
    rows = _accepted_stores(
        spark,
        (1, "North", "week1.csv", EARLY),
        (1, "North Street", "week2.csv", LATE),
        (2, "South", "week1.csv", EARLY),
        (2, "South", "resent.csv", LATE),
        (3, "East", "week1.csv", EARLY),
    )

    resolved = mark_duplicates(rows, STORES)

    verdicts = {(row["store_id"], row["_source_file"]): row[RULE] for row in resolved.collect()}
    assert verdicts == {
        (1, "week2.csv"): None,
        (1, "week1.csv"): STORES.duplicate_rule,
        (2, "resent.csv"): None,
        (2, "week1.csv"): DUPLICATE_DELIVERY,
        (3, "week1.csv"): None,
    }
    assert resolved.count() == rows.count()


def test_a_row_silver_holds_unchanged_from_another_file_is_marked_a_redelivery(spark: SparkSession) -> None:
    batch = _accepted_stores(
        spark, (1, "North", "resent.csv", LATE), (2, "South v2", "resent.csv", LATE), (3, "East", "week1.csv", LATE)
    ).withColumn(ROW_IDENTITY, row_identity(STORES.keys))
    silver = _accepted_stores(
        spark, (1, "North", "week1.csv", EARLY), (2, "South", "week1.csv", EARLY), (3, "East", "week1.csv", EARLY)
    )

    repeats = redelivered(batch, silver, STORES.keys, ["retailer_name"])
    marked = mark_redelivered(batch, repeats)

    assert _verdicts(marked) == {1: DUPLICATE_DELIVERY, 2: None, 3: None}
    expected = batch.where(col("store_id") != 1).drop(ROW_IDENTITY)
    assertDataFrameEqual(marked.where(col(RULE).isNull()).drop(ROW_IDENTITY), expected)
    assertDataFrameEqual(marked.where(col(RULE) == lit(DUPLICATE_DELIVERY)).select("store_id"), [Row(store_id=1)])
