"""The model commands: train the recommender and the offer-response model from the lake."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from cli.console import console
from cli.context import settings_of
from ml.jobs import MODELS, Model

app = typer.Typer(no_args_is_help=True, help=__doc__)


class ModelName(StrEnum):
    """``ml.jobs.MODELS`` as Typer's choices (Typer takes an Enum, not a Literal); a unit test keeps them equal."""

    recommend = "recommend"
    offer_response = "offer_response"

    @property
    def model(self) -> Model:
        return next(model for model in MODELS if model == self.value)


@app.command()
def train(
    context: typer.Context,
    model: Annotated[
        list[ModelName] | None, typer.Option("--model", help="A model to train (repeat for more; default: both).")
    ] = None,
) -> None:
    """Cut each model's dataset from silver and train it, printing its test metrics beside its baselines."""
    from lakehouse.models import train_model

    settings = settings_of(context)
    for name in model or list(ModelName):
        trained = train_model(settings, name.model)
        for line in _metric_lines(name, trained.outcome.metrics):
            console.print(f"   {line}")
        console.print(f"   metrics: {trained.outcome.job_dir / 'output' / 'data' / 'metrics.json'}")


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
