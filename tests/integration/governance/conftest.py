"""A lake of its own for the compliance tests: erasure rewrites landing, lake and marts, so it must not share them.

It is a copy of the session's ingested sample (landing, lake, key), with marts built in a warehouse of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pyspark.sql import SparkSession

from lakehouse.dbt import build_marts
from lakehouse.erasure import delta_locations
from lakehouse.ingest import IngestSummary
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client
from spark_jobs.delta_io import table_exists
from spark_jobs.erasure import household_key
from tests.clickhouse import warehouse_on_free_port
from tests.lake import copy_local_sample


@dataclass(frozen=True)
class CompliancePlatform:
    settings: Settings
    households: list[int]
    """Those with marketing consent first: the first is in every place, its training datasets included."""


@pytest.fixture(scope="session")
def compliance_platform(
    spark: SparkSession,
    local_settings: Settings,
    ingested_local: IngestSummary,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CompliancePlatform]:
    """Landing, lake and marts of the sample's households, with a warehouse of their own."""
    data_dir = tmp_path_factory.mktemp("compliance")
    base = Settings(data_dir=data_dir, tokenisation_key_file=data_dir / "secrets" / "tokenisation.key")
    copy_local_sample(local_settings, base)
    with warehouse_on_free_port(base, data_dir / "warehouse") as warehouse:
        settings = warehouse.settings
        build_marts(settings)
        customers = spark.read.format("delta").load(f"{settings.lake_uri}/silver/customers").collect()
        households = [
            int(row["household_id"])
            for row in sorted(customers, key=lambda row: (not row["marketing_consent"], row["household_id"]))
        ]
        yield CompliancePlatform(settings, households)


def lake_rows_by_household(spark: SparkSession, settings: Settings) -> dict[str, dict[int, int]]:
    """Per lake table that can hold households: rows per household."""
    counts: dict[str, dict[int, int]] = {}
    for location in delta_locations(settings):
        if not table_exists(spark, location.path):
            continue
        rows = (
            spark.read.format("delta").load(location.path)
            .selectExpr(f"{household_key(location.in_json_record)} as household").groupBy("household").count()
            .collect()
        )  # fmt: skip
        counts[location.name] = {int(row["household"]): int(row["count"]) for row in rows if row["household"]}
    return counts


def warehouse_rows_by_household(settings: Settings) -> dict[str, dict[int, int]]:
    """Per warehouse table with a household key: rows per household."""
    admin = admin_client(settings)
    tables = admin.query(
        "SELECT database, table FROM system.columns WHERE name = 'household_id' "
        "AND database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA', 'silver', 'staging')"
    ).result_rows
    return {
        f"{database}.{table}": {
            int(household): int(rows)
            for household, rows in admin.query(
                f"SELECT household_id, count() FROM `{database}`.`{table}` GROUP BY household_id"
            ).result_rows
        }
        for database, table in tables
    }


def without(counts: dict[str, dict[int, int]], household: int) -> dict[str, dict[int, int]]:
    return {
        table: {key: rows for key, rows in per_household.items() if key != household}
        for table, per_household in counts.items()
    }
