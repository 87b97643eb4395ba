"""SageMaker's script-mode contract, as an entry point meets it.

Channels are folders named by ``SM_CHANNEL_<NAME>`` (``/opt/ml/input/data/<channel>``),
hyperparameters arrive as ``--key value`` arguments (and as JSON in ``SM_HPS``),
the model goes to ``SM_MODEL_DIR``, metrics to ``SM_OUTPUT_DATA_DIR``, and a
failed job leaves its reason in ``/opt/ml/output/failure`` and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.dataset as ds

METRICS_FILE = "metrics.json"
FAILURE_FILE = "failure"


class TrainingInputError(ValueError):
    """A channel, column or hyperparameter the job cannot train from; its message is the job's failure reason."""


class HyperparameterParser(argparse.ArgumentParser):
    """Hyperparameters as SageMaker passes them; a wrong one is a failure reason, not argparse's usage text."""

    def error(self, message: str) -> NoReturn:
        raise TrainingInputError(f"hyperparameter: {message}")


def positive_int(text: str) -> int:
    if not text.strip().isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def positive_ints(text: str) -> list[int]:
    parts = text.split(",")
    if not all(part.strip().isdigit() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of positive integers")
    return [int(part) for part in parts]


def non_negative_floats(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(value) and value >= 0 for value in values):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of non-negative numbers")
    return values


@dataclass(frozen=True)
class TrainingEnvironment:
    """Where this job's channels, model and outputs are, as SageMaker's variables say."""

    channels: Mapping[str, Path]
    model_dir: Path
    output_dir: Path
    output_data_dir: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> TrainingEnvironment:
        names = json.loads(environ.get("SM_CHANNELS", "[]"))
        return cls(
            channels={name: Path(environ[f"SM_CHANNEL_{name.upper()}"]) for name in names},
            model_dir=Path(environ.get("SM_MODEL_DIR", "/opt/ml/model")),
            output_dir=Path(environ.get("SM_OUTPUT_DIR", "/opt/ml/output")),
            output_data_dir=Path(environ.get("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data")),
        )

    def read_channel(self, name: str, columns: Sequence[str]) -> pa.Table:
        """The channel's Parquet rows with ``columns``; a missing channel, column or row is a TrainingInputError."""
        if name not in self.channels:
            raise TrainingInputError(f"channel {name!r} was not given (channels: {', '.join(self.channels) or 'none'})")
        folder = self.channels[name]
        files = sorted(str(path) for path in folder.rglob("*.parquet"))
        if not files:
            raise TrainingInputError(f"channel {name!r}: no Parquet files in {folder}")
        dataset = ds.dataset(files, format="parquet")
        if missing := [column for column in columns if column not in dataset.schema.names]:
            raise TrainingInputError(
                f"channel {name!r}: column {', '.join(missing)} missing (it has {', '.join(dataset.schema.names)})"
            )
        table = dataset.to_table(columns=list(columns))
        if table.num_rows == 0:
            raise TrainingInputError(f"channel {name!r}: no rows in {len(files)} file(s) under {folder}")
        return table

    def write_metrics(self, metrics: Mapping[str, Any]) -> Path:
        self.output_data_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_data_dir / METRICS_FILE
        path.write_text(json.dumps(metrics, indent=2, sort_keys=True))
        return path


def run(train: Callable[[TrainingEnvironment, Sequence[str]], None]) -> NoReturn:
    """Run ``train`` with this process's arguments; a failure writes its one-line reason to the failure file and
    exits 1, as SageMaker reads it."""
    environment = TrainingEnvironment.from_environ()
    try:
        train(environment, sys.argv[1:])
    except Exception as error:  # noqa: BLE001 - every failure is reported the one way SageMaker reads it
        reason = f"{type(error).__name__}: {error}" if not isinstance(error, TrainingInputError) else str(error)
        environment.output_dir.mkdir(parents=True, exist_ok=True)
        (environment.output_dir / FAILURE_FILE).write_text(reason.splitlines()[0] if reason else type(error).__name__)
        traceback.print_exc()
        sys.exit(1)
    sys.exit(0)
