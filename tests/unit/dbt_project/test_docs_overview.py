"""The docs site's front page names every database an analyst can query."""

from __future__ import annotations

import pytest
import yaml

from lakehouse.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

DBT_PROJECT = PROJECT_ROOT / "dbt_project"


def test_the_docs_overview_names_every_database_the_marts_are_built_in() -> None:
    project = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())
    marts = project["models"]["consumer_insight"]["marts"]
    databases = [folder["+schema"] for folder in marts.values() if isinstance(folder, dict) and "+schema" in folder]
    overview = (DBT_PROJECT / "models" / "overview.md").read_text()

    assert databases == ["category", "promotions", "loyalty", "exports"]
    assert [database for database in databases if f"`{database}`" not in overview] == []
