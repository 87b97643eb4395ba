"""The source code a training job ships: ``ml/__init__.py`` and ``ml/training/``, nothing else of the platform."""

from __future__ import annotations

import hashlib
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


def code_digest() -> str:
    """A digest of the training code a job ships, so a registered model names the code that trained it."""
    digest = hashlib.sha256()
    for path in sorted((ML_PACKAGE / "training").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
