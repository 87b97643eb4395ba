"""A training job as both runners take it: what runs, on which channels, with which hyperparameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

HyperparameterValue = str | int | float | bool
Model = Literal["recommend", "offer_response"]
"""The models the platform trains, each an entry point ``ml.training.<model>``."""
MODELS: tuple[Model, ...] = get_args(Model)


@dataclass(frozen=True)
class TrainingJob:
    """One training job: its unique name, the ``ml.training`` module it runs, its channels and hyperparameters.

    A channel is a folder for the local runner, an ``s3://`` prefix for SageMaker.
    """

    name: str
    entry_point: str
    channels: Mapping[str, Path | str]
    hyperparameters: Mapping[str, HyperparameterValue] = field(default_factory=dict)

    def hyperparameter_text(self) -> dict[str, str]:
        """The hyperparameters as SageMaker sends them: every value a string."""
        return {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in self.hyperparameters.items()
        }

    def arguments(self) -> list[str]:
        """The hyperparameters as script mode passes them: ``--key value``."""
        return [part for key, value in self.hyperparameter_text().items() for part in (f"--{key}", value)]
