"""Scoring with the champions into the lake's gold zone and the warehouse, on a copy of the sample's silver.

The recommender is trained on the sample's own dataset; the offer model, which needs more campaigns than a
dozen households were targeted by, is trained on The Complete Journey in full and scores the sample's offers.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from lakehouse.ingest import IngestSummary, lake_layout
from lakehouse.ml_datasets import eligible_households, extract_dataset
from lakehouse.model_promotion import NoChampionError
from lakehouse.model_registry import champion
from lakehouse.model_scoring import score_model
from lakehouse.models import train_model
from lakehouse.settings import Settings
from lakehouse.warehouse import WarehouseProcess, analyst_client
from orchestration.defs.models.assets import MODEL_ASSETS
from tests.ml_channels import register_full_offer_model

pytestmark = pytest.mark.integration

RECOMMENDER_ASSETS = {"recommend_dataset", "recommend", "household_recommendations"}


@pytest.fixture(scope="module")
def settings(
    tmp_path_factory: pytest.TempPathFactory, local_settings: Settings, ingested_local: IngestSummary,
    warehouse: WarehouseProcess,
) -> Settings:  # fmt: skip
    """A copy of the sample's silver as this module's lake, the session's warehouse, and an empty registry."""
    folder = tmp_path_factory.mktemp("scoring")
    shutil.copytree(Path(local_settings.lake_uri) / "silver", folder / "lake" / "silver")
    return warehouse.settings.model_copy(update={"data_dir": folder, "lake_uri": str(folder / "lake")})


@pytest.fixture(scope="module")
def offer_champion(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> int:
    return register_full_offer_model(settings, tmp_path_factory.mktemp("offer-dataset"))


def _gold(settings: Settings, name: str) -> pa.Table:
    return DeltaTable(lake_layout(settings).gold(name)).to_pyarrow_table()


def test_with_no_champion_nothing_scores_and_the_error_says_why(settings: Settings) -> None:
    with pytest.raises(NoChampionError, match=r"^retail-recommend has no champion: no version has beaten"):
        score_model(settings, "recommend")

    assert not Path(lake_layout(settings).gold("household_recommendations")).exists()


def test_every_eligible_household_gets_ten_recommendations_from_the_champion_in_gold_and_the_warehouse(
    settings: Settings,
) -> None:
    trained = train_model(settings, "recommend")
    if not trained.registration.verdict.promoted:
        pytest.fail(f"the sample's recommender was not promoted: {trained.registration.verdict.reasons}")

    scored = score_model(settings, "recommend")

    gold = _gold(settings, "household_recommendations")
    eligible = set(eligible_households(settings).to_pylist())
    assert set(gold["household_id"].to_pylist()) == eligible and scored.households == len(eligible)
    assert gold.num_rows == 10 * len(eligible) == scored.rows
    assert sorted(set(gold["rank"].to_pylist())) == list(range(1, 11))
    assert set(gold["model_version"].to_pylist()) == {trained.registration.version.version}
    assert set(gold["source"].to_pylist()) <= {"model", "popularity"}
    customers = DeltaTable(lake_layout(settings).silver("customers")).to_pyarrow_table(
        columns=["household_id", "marketing_consent"]
    )
    refused = customers.filter(pc.invert(customers["marketing_consent"]))["household_id"].to_pylist()
    assert refused and not set(refused) & set(gold["household_id"].to_pylist())
    analyst = analyst_client(settings)
    served = analyst.query(
        "SELECT count(), uniqExact(household_id), min(model_version) FROM ml.household_recommendations"
    ).result_rows
    assert served == [(gold.num_rows, len(eligible), trained.registration.version.version)]


def test_the_recommenders_assets_train_register_and_score_with_their_checks_in_dagster(settings: Settings) -> None:
    assets = [asset for asset in MODEL_ASSETS if asset.key.path[-1] in RECOMMENDER_ASSETS]

    result = dg.materialize(assets, resources={"settings": settings}, raise_on_error=False)

    assert result.success, [event.message for event in result.all_events if event.is_failure]
    [trained] = [m for m in result.asset_materializations_for_node("ml__recommend")]
    version = trained.metadata["version"].value
    current = champion(settings, "recommend")
    assert current is not None
    checks = {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}
    assert checks["promoted_over_champion_and_baselines"].passed == (current.version == version)
    assert checks["no_household_without_consent_or_erased"].passed
    assert checks["every_eligible_household_scored"].passed
    assert checks["every_eligible_household_scored"].metadata["eligible"].value == len(eligible_households(settings))
    gold = _gold(settings, "household_recommendations")
    assert set(gold["model_version"].to_pylist()) == {current.version}


def test_every_targeted_pair_of_an_eligible_household_gets_a_propensity(
    settings: Settings, offer_champion: int
) -> None:
    scored = score_model(settings, "offer_response")

    gold = _gold(settings, "offer_propensity")
    channels = extract_dataset(settings, "offer_response").channels
    campaigns = set(pq.read_table(channels["campaigns"], columns=["campaign_id"])["campaign_id"].to_pylist())
    targeted = pq.read_table(channels["targeted"]).to_pylist()
    pairs = {(row["household_id"], row["campaign_id"]) for row in targeted if row["campaign_id"] in campaigns}
    assert set(zip(gold["household_id"].to_pylist(), gold["campaign_id"].to_pylist(), strict=True)) == pairs
    assert gold.num_rows == scored.rows == len(pairs) > 0
    assert set(gold["model_version"].to_pylist()) == {offer_champion}
    propensity = gold["propensity"].to_pylist()
    assert all(0.0 < value < 1.0 for value in propensity)
    assert set(gold["household_id"].to_pylist()) <= set(eligible_households(settings).to_pylist())
    served = analyst_client(settings).query("SELECT count(), min(model_version) FROM ml.offer_propensity").result_rows
    assert served == [(gold.num_rows, offer_champion)]
