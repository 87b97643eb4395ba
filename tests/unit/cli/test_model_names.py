"""The command line's model choices are the models the platform trains."""

from __future__ import annotations

import pytest

from cli.models import ModelName
from ml.jobs import MODELS

pytestmark = pytest.mark.unit


def test_the_model_choices_are_exactly_the_trained_models_in_their_order() -> None:
    assert [name.model for name in ModelName] == list(MODELS)
