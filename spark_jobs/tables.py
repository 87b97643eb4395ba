"""The table registry: every lake table, where it comes from, its landing format, schema, key and rules.

Declared once here; every other list of tables (landing feeds, the sensors'
weekly feeds, the dbt sources, the PII policy's coverage) is derived from it or
checked against it (``tests/unit/spark_jobs/test_table_registry.py``).
A row rule is a SQL condition over the typed columns; a row for which it is not
true goes to ``quarantine/<table>`` under the rule's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pyspark.sql.types import (
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

LandingFormat = Literal["parquet", "csv", "json"]
Origin = Literal["complete_journey", "synthetic"]
"""Where a table's landing files come from: the real Complete Journey package, or seeded synthetic data."""

MONEY = DecimalType(18, 2)
"""An amount of money: exact, in cents. A landed value with more than two decimal places is not money (a type break)."""

FIRST_WEEK, LAST_WEEK = 1, 53
WEEK_OF_DATE = "least(cast(floor(datediff(to_date({column}), date'2017-01-01') + 6) div 7 + 1 as int), 53)"
"""The data's week of a date: week 1 is 2017-01-01 alone, each later week starts a day after a calendar week."""


@dataclass(frozen=True)
class RowRule:
    name: str
    holds: str


@dataclass(frozen=True)
class Reference:
    """``column`` names a ``key`` of silver ``table``.

    A checked reference quarantines a row whose key the table lacks. An
    inferred one keeps the row: a sale of a product the catalogue does not (yet)
    list is still a sale, and the marts file it under an inferred member of the
    referenced table until a later file of that table names the key.
    """

    column: str
    table: str
    key: str
    inferred: bool = False


PRODUCT_REFERENCE = Reference("product_id", "products", "product_id", inferred=True)
"""Lines, coupons and promotions name products; one the catalogue lacks is kept under an inferred member."""


@dataclass(frozen=True)
class TableSpec:
    name: str
    landing_format: LandingFormat
    columns: tuple[tuple[str, DataType], ...]
    keys: tuple[str, ...]
    weekly: bool = False
    partitioned: bool = False
    """Large weekly tables are partitioned by week so a week's MERGE touches only that week."""
    week_from: str | None = None
    """For weekly tables without a ``week`` column: the date column ``week`` is derived from."""
    row_rules: tuple[RowRule, ...] = ()
    references: tuple[Reference, ...] = ()
    prefer: tuple[str, ...] = ()
    """SQL orderings that pick the surviving row among duplicates of a key (before newest-file-wins)."""
    duplicate_rule: str = "duplicate_key: the row from the newest landing file wins"
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    origin: Origin = "complete_journey"
    modelled: bool = True
    """A dbt source (``silver``) that the marts build on; free text stays out of the marts."""

    @property
    def checked_references(self) -> tuple[Reference, ...]:
        """The references whose unknown keys are quarantined: the rows are judged against those tables."""
        return tuple(reference for reference in self.references if not reference.inferred)

    @property
    def schema(self) -> StructType:
        return StructType([StructField(name, data_type, nullable=True) for name, data_type in self.columns])

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def partition_by(self) -> tuple[str, ...]:
        return ("week",) if self.partitioned else ()


def _not_null(*columns: str) -> RowRule:
    return RowRule(f"not_null: {', '.join(columns)}", " and ".join(f"{column} is not null" for column in columns))


def _week_in_range() -> RowRule:
    return RowRule(f"week_in_range: {FIRST_WEEK}-{LAST_WEEK}", f"week between {FIRST_WEEK} and {LAST_WEEK}")


def _not_in_future(column: str) -> RowRule:
    return RowRule(f"not_in_future: {column}", f"{column} <= current_timestamp()")


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "stores",
            "csv",
            (
                ("store_id", LongType()),
                ("retailer_id", StringType()),
                ("retailer_name", StringType()),
                ("country", StringType()),
            ),
            keys=("store_id",),
            row_rules=(_not_null("store_id", "retailer_id"),),
            origin="synthetic",
        ),
        TableSpec(
            "products",
            "parquet",
            (
                ("product_id", LongType()),
                ("manufacturer_id", LongType()),
                ("department", StringType()),
                ("brand", StringType()),
                ("product_category", StringType()),
                ("product_type", StringType()),
                ("package_size", StringType()),
            ),
            keys=("product_id",),
            row_rules=(_not_null("product_id"),),
        ),
        TableSpec(
            "campaign_descriptions",
            "parquet",
            (
                ("campaign_id", LongType()),
                ("campaign_type", StringType()),
                ("start_date", TimestampType()),
                ("end_date", TimestampType()),
            ),
            keys=("campaign_id",),
            row_rules=(_not_null("campaign_id"), RowRule("campaign_ends_after_start", "end_date >= start_date")),
        ),
        TableSpec(
            "campaigns",
            "parquet",
            (("campaign_id", LongType()), ("household_id", LongType())),
            keys=("campaign_id", "household_id"),
            row_rules=(_not_null("campaign_id", "household_id"),),
            references=(Reference("campaign_id", "campaign_descriptions", "campaign_id"),),
        ),
        TableSpec(
            "coupons",
            "parquet",
            (("coupon_upc", LongType()), ("product_id", LongType()), ("campaign_id", LongType())),
            keys=("coupon_upc", "product_id", "campaign_id"),
            row_rules=(_not_null("coupon_upc", "product_id", "campaign_id"),),
            references=(PRODUCT_REFERENCE,),
        ),
        TableSpec(
            "demographics",
            "parquet",
            (
                ("household_id", LongType()),
                ("age", StringType()),
                ("income", StringType()),
                ("home_ownership", StringType()),
                ("marital_status", StringType()),
                ("household_size", StringType()),
                ("household_comp", StringType()),
                ("kids_count", StringType()),
            ),
            keys=("household_id",),
            row_rules=(_not_null("household_id"),),
        ),
        TableSpec(
            "customers",
            "csv",
            (
                ("household_id", LongType()),
                ("first_name", StringType()),
                ("last_name", StringType()),
                ("email", StringType()),
                ("phone", StringType()),
                ("street_address", StringType()),
                ("city", StringType()),
                ("postcode", StringType()),
                ("country", StringType()),
                ("date_of_birth", DateType()),
                ("loyalty_card_number", StringType()),
                ("marketing_consent", BooleanType()),
                ("consent_updated_at", TimestampType()),
            ),
            keys=("household_id",),
            row_rules=(_not_null("household_id"), RowRule("born_in_the_past", "date_of_birth <= current_date()")),
            origin="synthetic",
        ),
        TableSpec(
            "transactions",
            "parquet",
            (
                ("household_id", LongType()),
                ("store_id", LongType()),
                ("basket_id", LongType()),
                ("product_id", LongType()),
                ("quantity", LongType()),
                ("sales_value", MONEY),
                ("retail_disc", MONEY),
                ("coupon_disc", MONEY),
                ("coupon_match_disc", MONEY),
                ("week", IntegerType()),
                ("transaction_timestamp", TimestampType()),
            ),
            keys=("household_id", "basket_id", "product_id"),
            weekly=True,
            partitioned=True,
            row_rules=(
                _not_null("household_id", "basket_id", "product_id", "store_id", "week"),
                RowRule("quantity_not_negative", "quantity >= 0"),
                RowRule(
                    "amounts_not_negative",
                    "sales_value >= 0 and retail_disc >= 0 and coupon_disc >= 0 and coupon_match_disc >= 0",
                ),
                _week_in_range(),
                _not_in_future("transaction_timestamp"),
            ),
            references=(PRODUCT_REFERENCE,),
            ranges={"quantity": (0, None), "sales_value": (0, None), "week": (FIRST_WEEK, LAST_WEEK)},
        ),
        TableSpec(
            "promotions",
            "parquet",
            (
                ("product_id", LongType()),
                ("store_id", LongType()),
                ("display_location", StringType()),
                ("mailer_location", StringType()),
                ("week", IntegerType()),
            ),
            keys=("product_id", "store_id", "week"),
            weekly=True,
            partitioned=True,
            row_rules=(
                _not_null("product_id", "store_id", "week", "display_location", "mailer_location"),
                _week_in_range(),
            ),
            references=(PRODUCT_REFERENCE,),
            prefer=(
                "display_location <> '0' desc",
                "mailer_location <> '0' desc",
                "display_location desc",
                "mailer_location desc",
            ),
            duplicate_rule="duplicate_key: one promotion per product, store and week; the row with a display "
            "placement (then a mailer placement, then the higher codes) wins",
            ranges={"week": (FIRST_WEEK, LAST_WEEK)},
        ),
        TableSpec(
            "coupon_redemptions",
            "parquet",
            (
                ("household_id", LongType()),
                ("coupon_upc", LongType()),
                ("campaign_id", LongType()),
                ("redemption_date", TimestampType()),
            ),
            keys=("household_id", "coupon_upc", "campaign_id", "redemption_date"),
            weekly=True,
            week_from="redemption_date",
            row_rules=(
                _not_null("household_id", "coupon_upc", "campaign_id", "redemption_date"),
                _not_in_future("redemption_date"),
            ),
            references=(Reference("campaign_id", "campaign_descriptions", "campaign_id"),),
        ),
        TableSpec(
            "customer_feedback",
            "json",
            (
                ("feedback_id", StringType()),
                ("household_id", LongType()),
                ("submitted_at", TimestampType()),
                ("channel", StringType()),
                ("rating", IntegerType()),
                ("text", StringType()),
            ),
            keys=("feedback_id",),
            weekly=True,
            week_from="submitted_at",
            row_rules=(
                _not_null("feedback_id", "household_id", "submitted_at"),
                RowRule("rating_1_to_5", "rating between 1 and 5"),
                _not_in_future("submitted_at"),
            ),
            ranges={"rating": (1, 5)},
            origin="synthetic",
            modelled=False,
        ),
    )
}
"""In ingestion order: a table comes after the tables its references point at."""
