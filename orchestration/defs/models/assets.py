"""The models as assets: each dataset cut from silver, the model trained and registered, the champion's scores.

Per model: ``ml/<model>_dataset`` (the channels, consent and the erasure
register applied) feeds ``ml/<model>`` (the job run by the configured runner,
logged to MLflow, registered and judged), which feeds ``ml/<score table>``
(every eligible household scored by the champion, in gold and the warehouse).
A job that fails registers nothing and the champion keeps serving; a new
version that does not beat the champion and its baselines stays a challenger,
and its check says why. MLflow loads only in the steps that train or score, not
with the code location, which every run and the webserver load.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pyarrow.compute as pc
from deltalake import DeltaTable

from lakehouse.ingest import lake_layout
from lakehouse.ml_datasets import SILVER_TABLES, eligible_households, extract_dataset
from lakehouse.model_promotion import registered_name
from lakehouse.score_tables import SCORE_TABLES
from lakehouse.settings import Settings
from ml.jobs import MODELS, Model
from orchestration.defs.lake.assets import silver_key
from orchestration.failures import TRANSIENT_RETRY, data_errors_are_final
from orchestration.owners import PLATFORM_OWNER

MODELS_GROUP = "models"
PLATFORM_ASSETS = dg.AssetSelection.all() - dg.AssetSelection.groups(MODELS_GROUP)
"""Landing to marts; the models are left to their own job, model_training."""
PROMOTION_CHECK = "promoted_over_champion_and_baselines"
EVERY_HOUSEHOLD_CHECK = "every_eligible_household_scored"
ONLY_ELIGIBLE_CHECK = "no_household_without_consent_or_erased"


def dataset_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey(["ml", f"{model}_dataset"])


def model_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey(["ml", model])


def scores_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey(["ml", SCORE_TABLES[model].name])


def _dataset_asset(model: Model) -> dg.AssetsDefinition:
    @dg.asset(
        key=dataset_key(model),
        deps=[silver_key(table) for table in SILVER_TABLES[model]],
        group_name=MODELS_GROUP,
        kinds={"parquet"},
        owners=[PLATFORM_OWNER],
        retry_policy=TRANSIENT_RETRY,
        description=f"The {model} model's training channels cut from silver: only households with marketing "
        "consent that are not erased; reused while silver is unchanged.",
    )
    def dataset(settings: dg.ResourceParam[Settings]) -> dg.MaterializeResult:
        cut = extract_dataset(settings, model)
        manifest = cut.manifest
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": sum(int(channel["rows"]) for channel in manifest.channels.values()),
                "version": manifest.version,
                "folder": dg.MetadataValue.path(str(cut.folder)),
                "reused": cut.reused,
                "households": dg.MetadataValue.json(manifest.households),
                "delta_versions": dg.MetadataValue.json(manifest.delta_versions),
            }
        )

    return dataset


def _model_asset(model: Model) -> dg.AssetsDefinition:
    @dg.asset(
        key=model_key(model),
        deps=[dataset_key(model)],
        group_name=MODELS_GROUP,
        kinds={"sagemaker", "mlflow"},
        owners=[PLATFORM_OWNER],
        check_specs=[
            dg.AssetCheckSpec(
                PROMOTION_CHECK,
                asset=model_key(model),
                description="The new version beat its baselines and the champion on the test weeks it was never "
                "tuned on, and was promoted",
            )
        ],
        description=f"ml.training.{model} run by the configured runner (SageMaker's script mode), logged to "
        f"MLflow and registered as {registered_name(model)}; champion only above its baselines and the champion.",
    )
    def trained(settings: dg.ResourceParam[Settings]) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from lakehouse.model_registry import register
        from lakehouse.models import train_on

        dataset = extract_dataset(settings, model)
        outcome = train_on(settings, model, dataset)
        registration = register(settings, model, dataset, outcome)
        version, verdict = registration.version, registration.verdict
        yield dg.MaterializeResult(
            metadata={
                "version": version.version,
                "champion": version.champion,
                "primary_metric": version.primary,
                "test_metrics": dg.MetadataValue.json(outcome.metrics["test"]),
                "verdict": verdict.text,
                "job": dg.MetadataValue.path(str(outcome.job_dir)),
                "training_seconds": round(outcome.seconds, 1),
            }
        )
        yield dg.AssetCheckResult(
            check_name=PROMOTION_CHECK,
            passed=verdict.promoted,
            severity=dg.AssetCheckSeverity.WARN,
            description=verdict.text,
            metadata={"version": version.version},
        )

    return trained


def _score_checks(model: Model) -> list[dg.AssetCheckSpec]:
    checks = [
        dg.AssetCheckSpec(
            ONLY_ELIGIBLE_CHECK,
            asset=scores_key(model),
            description="Every scored household has marketing consent and is not erased",
        )
    ]
    if model == "recommend":
        checks.append(
            dg.AssetCheckSpec(
                EVERY_HOUSEHOLD_CHECK,
                asset=scores_key(model),
                description="Every household with consent that is not erased got its recommendations",
            )
        )
    return checks


def _checked(settings: Settings, model: Model, gold_uri: str) -> Iterator[dg.AssetCheckResult]:
    """The scored households against those eligible now, read back from the gold table just written."""
    options = dict(lake_layout(settings).storage_options) or None
    held = DeltaTable(gold_uri, storage_options=options).to_pyarrow_table(columns=["household_id"])
    households = pc.unique(held["household_id"])
    eligible = eligible_households(settings)
    outside = households.filter(pc.invert(pc.is_in(households, value_set=eligible)))
    yield dg.AssetCheckResult(
        check_name=ONLY_ELIGIBLE_CHECK, passed=len(outside) == 0, metadata={"households_outside": len(outside)}
    )
    if model == "recommend":
        missing = eligible.filter(pc.invert(pc.is_in(eligible, value_set=households)))
        yield dg.AssetCheckResult(
            check_name=EVERY_HOUSEHOLD_CHECK,
            passed=len(missing) == 0,
            metadata={"households_missing": len(missing), "eligible": len(eligible)},
        )


def _scores_asset(model: Model) -> dg.AssetsDefinition:
    table = SCORE_TABLES[model]

    @dg.asset(
        key=scores_key(model),
        deps=[model_key(model)],
        group_name=MODELS_GROUP,
        kinds={"delta", "clickhouse"},
        owners=[PLATFORM_OWNER],
        retry_policy=TRANSIENT_RETRY,
        check_specs=_score_checks(model),
        description=f"The champion's scores in gold/{table.name} and {table.warehouse_name}, with the model "
        "version and when.",
    )
    def scores(settings: dg.ResourceParam[Settings]) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        from lakehouse.model_scoring import score_model

        with data_errors_are_final():
            scored = score_model(settings, model)
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": scored.rows,
                "households": scored.households,
                "model_version": scored.version,
                "gold": dg.MetadataValue.path(scored.gold_uri),
                "warehouse_table": scored.warehouse_table,
            }
        )
        yield from _checked(settings, model, scored.gold_uri)

    return scores


MODEL_ASSETS = [
    asset for model in MODELS for asset in (_dataset_asset(model), _model_asset(model), _scores_asset(model))
]
