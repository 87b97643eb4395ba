"""The PII policy as Spark applies it between bronze and silver, on small frames of one table each."""

from __future__ import annotations

from datetime import datetime

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import BooleanType, LongType, StringType, StructField, StructType
from pyspark.testing import assertDataFrameEqual

from governance.policy import Normalisation, PolicyViolationError, default_policy
from governance.tokenise import Tokeniser
from spark_jobs.pii import apply_policy, silver_schema

pytestmark = pytest.mark.unit

KEY = b"unit-test-key-of-thirty-two-byte"
CUSTOMER_COLUMNS = (
    "household_id long, first_name string, last_name string, email string, phone string, street_address string, "
    "city string, postcode string, country string, date_of_birth string, loyalty_card_number string, "
    "marketing_consent boolean, consent_updated_at string, _source_file string"
)


def _customers(spark: SparkSession) -> DataFrame:
    row = (
        7, "Ada", "Lovelace", " Ada.Lovelace@Example.COM ", "+44 20 7946 0958", "12 Crane Street", "London",
        "SW1A 1AA", "GB", "1990-05-17", "lc-123456", True, "2026-11-01T10:00:00", "customers/customers.csv",
    )  # fmt: skip
    return spark.createDataFrame([row], CUSTOMER_COLUMNS)


def test_the_silver_schema_keeps_kept_columns_drops_dropped_ones_and_renames_treated_ones_as_strings(
    spark: SparkSession,
) -> None:
    frame = _customers(spark)
    policy = default_policy()

    schema = silver_schema(frame, policy, policy.rules_for("customers", frame.columns))

    assert schema == StructType([
        StructField("household_id", LongType()),
        StructField("email_token", StringType()),
        StructField("phone_token", StringType()),
        StructField("postcode_district", StringType()),
        StructField("country", StringType()),
        StructField("age_band", StringType()),
        StructField("loyalty_card_token", StringType()),
        StructField("marketing_consent", BooleanType()),
        StructField("consent_updated_at", StringType()),
        StructField("_source_file", StringType()),
    ])  # fmt: skip


def test_a_table_the_policy_keeps_whole_is_only_projected(spark: SparkSession) -> None:
    stores = spark.createDataFrame(
        [("1", "r1", "Retailer One", "GB", "stores/stores.csv", datetime(2026, 11, 1))],
        "store_id string, retailer_id string, retailer_name string, country string, _source_file string, "
        "_ingested_at timestamp",
    )

    treated = apply_policy(stores, "stores", default_policy(), KEY, presidio_model="unused")

    assertDataFrameEqual(treated, stores)
    assert "MapInPandas" not in treated._jdf.queryExecution().analyzed().toString()


def test_identifiers_become_keyed_tokens_that_join_and_quasi_identifiers_are_generalised(spark: SparkSession) -> None:
    tokens = Tokeniser(KEY)

    treated = apply_policy(_customers(spark), "customers", default_policy(), KEY, presidio_model="unused")

    assertDataFrameEqual(
        treated.select("household_id", "email_token", "loyalty_card_token", "postcode_district", "country"),
        spark.createDataFrame(
            [(7, tokens.tokenise("ada.lovelace@example.com", Normalisation.EMAIL),
              tokens.tokenise("LC-123456", Normalisation.UPPER), "SW1A", "GB")],
            "household_id long, email_token string, loyalty_card_token string, postcode_district string, "
            "country string",
        ),
    )  # fmt: skip
    (row,) = treated.collect()
    assert row.age_band is not None and "1990" not in row.age_band
    assert not {"first_name", "last_name", "street_address", "city", "date_of_birth"} & set(treated.columns)


def test_a_column_the_policy_does_not_list_is_refused_naming_table_and_column(spark: SparkSession) -> None:
    frame = _customers(spark).withColumnRenamed("city", "town")

    with pytest.raises(PolicyViolationError, match=r"table 'customers': column\(s\) 'town' not in the PII policy"):
        apply_policy(frame, "customers", default_policy(), KEY, presidio_model="unused")
