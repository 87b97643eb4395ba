"""The source code a training job ships: ``ml/__init__.py`` and ``ml/training/``, nothing else of the platform."""

from __future__ import annotations

import shutil
from pathlib import Path

import ml

ML_PACKAGE = Path(ml.__file__).parent


def ship_training_code(destination: Path) -> Path:
    """Copy the training code into ``destination``, from where ``python -m ml.training.<model>`` runs it."""
    shutil.copytree(
        ML_PACKAGE / "training", destination / "ml" / "training", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(ML_PACKAGE / "__init__.py", destination / "ml" / "__init__.py")
    return destination


def entry_module(entry_point: str) -> str:
    return f"ml.training.{entry_point}"
