"""The model commands: train, register, list and score the recommender and the offer-response model."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from cli.console import console
from cli.context import settings_of
from lakehouse.settings import Settings
from ml.jobs import MODELS, Model

app = typer.Typer(no_args_is_help=True, help=__doc__)


class ModelName(StrEnum):
    """``ml.jobs.MODELS`` as Typer's choices (Typer takes an Enum, not a Literal); a unit test keeps them equal."""

    recommend = "recommend"
    offer_response = "offer_response"

    @property
    def model(self) -> Model:
        return next(model for model in MODELS if model == self.value)


ModelsOption = Annotated[
    list[ModelName] | None, typer.Option("--model", help="A model (repeat the option for more; default: both).")
]


@app.command()
def train(
    context: typer.Context,
    model: ModelsOption = None,
) -> None:
    """Cut each model's dataset from silver, train it, and register it: champion only if it beats the champion and
    its baselines on the test weeks. With ML_BACKEND=sagemaker, upload the channels and launch on SageMaker."""
    from lakehouse.model_promotion import registered_name
    from lakehouse.models import train_model

    settings = settings_of(context)
    if settings.ml_backend == "sagemaker":
        _launch_on_sagemaker(settings, model or list(ModelName))
        return
    for name in model or list(ModelName):
        trained = train_model(settings, name.model)
        for line in _metric_lines(name, trained.outcome.metrics):
            console.print(f"   {line}")
        console.print(f"   metrics: {trained.outcome.job_dir / 'output' / 'data' / 'metrics.json'}")
        registered, verdict = trained.registration.version, trained.registration.verdict
        standing = "promoted to champion" if verdict.promoted else "kept as a challenger; the champion keeps serving"
        console.print(f"   {registered_name(name.model)} version {registered.version} {standing}:")
        for reason in verdict.reasons:
            console.print(f"     {reason}")


@app.command()
def evaluate(
    context: typer.Context,
    model: ModelsOption = None,
) -> None:
    """Each model's champion (else its newest version) beside its baselines on the test weeks, and its picture."""
    from lakehouse.model_promotion import registered_name
    from lakehouse.model_registry import version_metrics, versions
    from lakehouse.model_reports import draw_report

    settings = settings_of(context)
    for name in model or list(ModelName):
        found = versions(settings, name.model)
        if not found:
            raise typer.BadParameter(f"{registered_name(name.model)} has no registered version: train it first")
        chosen = next((version for version in found if version.champion), found[0])
        standing = "champion" if chosen.champion else "newest version, a challenger (there is no champion)"
        console.print(
            f"{registered_name(name.model)} version {chosen.version} ({standing}), dataset {chosen.dataset_version}"
        )
        metrics = version_metrics(settings, chosen)
        for line in _metric_lines(name, metrics):
            console.print(f"   {line}")
        folder = settings.data_dir / "ml" / "reports" / registered_name(name.model) / f"v{chosen.version}"
        console.print(f"   picture: {draw_report(name.model, metrics, folder)}")


@app.command()
def score(
    context: typer.Context,
    model: ModelsOption = None,
) -> None:
    """Score every household with consent with each model's champion, into the lake's gold zone and the warehouse."""
    from lakehouse.model_scoring import score_model
    from lakehouse.warehouse import ensure_warehouse

    settings = settings_of(context)
    ensure_warehouse(settings)
    for name in model or list(ModelName):
        scored = score_model(settings, name.model)
        console.print(f"   {scored.rows:,} rows for {scored.households:,} households by version {scored.version}")
        console.print(f"   lake: {scored.gold_uri}")
        console.print(f"   warehouse: SELECT * FROM {scored.warehouse_table}")


@app.command("list")
def list_versions(context: typer.Context) -> None:
    """Every registered version of each model, the newest first: champion or challenger, and why."""
    from lakehouse.model_promotion import PROMOTION, registered_name
    from lakehouse.model_registry import tracking_uri, versions

    settings = settings_of(context)
    for name in ModelName:
        found = versions(settings, name.model)
        console.print(
            f"{registered_name(name.model)}: {len(found)} version(s); primary metric {PROMOTION[name.model].primary}"
        )
        for version in found:
            standing = "champion  " if version.champion else "challenger"
            console.print(
                f"   v{version.version:<3} {standing} {version.created_at:%Y-%m-%d %H:%M} "
                f"dataset {version.dataset_version} {version.primary:.4f}  {version.verdict}"
            )
    console.print(f"registry: {tracking_uri(settings)}")


def _launch_on_sagemaker(settings: Settings, models: list[ModelName]) -> None:
    from lakehouse.models import launch_training, sagemaker_target

    target = sagemaker_target(settings)
    for name in models:
        _, launched = launch_training(settings, name.model)
        console.print(f"   SageMaker training job {launched.name}: {launched.arn}")
        console.print(
            f"   model.tar.gz and output.tar.gz (metrics.json) under {target.output_path}{launched.name}/output/"
        )


def _metric_lines(model: str, metrics: dict[str, Any]) -> list[str]:
    """The test metrics, the model first and its baselines after it."""
    test = metrics["test"]
    if model == "recommend":
        k = metrics["k"]
        return [
            f"{name:<24} precision@{k} {values['precision']:.4f}  recall@{k} {values['recall']:.4f}  "
            f"ndcg@{k} {values['ndcg']:.4f}  map@{k} {values['map']:.4f}  coverage {values['coverage']:.4f}"
            for name, values in test.items()
        ]
    lines = [
        f"{name:<24} roc_auc {values['roc_auc']:.4f}  pr_auc {values['pr_auc']:.4f}" for name, values in test.items()
    ]
    return [*lines, f"{'base rate':<24} {metrics['base_rate']:.4f} of {metrics['pairs']['test']:,} test pairs redeemed"]
