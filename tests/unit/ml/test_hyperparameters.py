"""The recommender's hyperparameters: a value of the wrong kind is a failure reason naming the argument."""

from __future__ import annotations

import pytest

from ml.training.recommend import hyperparameters
from ml.training.script_mode import TrainingInputError

pytestmark = pytest.mark.unit


def test_the_values_sagemaker_passes_as_text_are_typed() -> None:
    chosen = hyperparameters(["--factors", "16,32", "--repeat_weights", "0,2.5", "--iterations", "7", "--k", "5"])

    assert (chosen.factors, chosen.repeat_weights, chosen.iterations, chosen.k) == ([16, 32], [0.0, 2.5], 7, 5)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--iterations", "0"], "argument --iterations: '0' is not a positive integer"),
        (["--k", "-3"], "argument --k: '-3' is not a positive integer"),
        (["--factors", "16,,32"], "argument --factors: '16,,32' is not a comma-separated list of positive integers"),
        (["--regularization", "much"], "argument --regularization: invalid float value: 'much'"),
        (
            ["--repeat_weights", "1,-2"],
            "argument --repeat_weights: '1,-2' is not a comma-separated list of non-negative numbers",
        ),
        (
            ["--repeat_weights", "nan"],
            "argument --repeat_weights: 'nan' is not a comma-separated list of non-negative numbers",
        ),
    ],
)
def test_a_wrong_value_names_the_argument_and_the_rule(argv: list[str], reason: str) -> None:
    with pytest.raises(TrainingInputError) as refused:
        hyperparameters(argv)

    assert str(refused.value) == f"hyperparameter: {reason}"
