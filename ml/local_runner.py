"""Run a training entry point on this machine exactly as a SageMaker training container would.

The job folder ``<jobs_dir>/<job>/`` takes the place of ``/opt/ml``: the
hyperparameters and channel configuration in ``input/config``, each channel's
files copied into ``input/data/<channel>`` (File mode), the source code in
``code/``, the model in ``model/`` (packed as ``output/model.tar.gz``), metrics
in ``output/data`` and a failure's reason in ``output/failure``. The entry
point runs unchanged in a child process with the ``SM_*`` variables set.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.jobs import TrainingJob
from ml.training.script_mode import FAILURE_FILE, METRICS_FILE
from ml.training_code import entry_module, ship_training_code

logger = logging.getLogger(__name__)

HOST = "algo-1"


@dataclass(frozen=True)
class TrainingOutcome:
    job_dir: Path
    model_artifact: Path
    metrics: dict[str, Any]
    seconds: float


class TrainingJobFailedError(RuntimeError):
    """The entry point failed: its reason from ``output/failure``, or the signal that ended it, and its log."""


def _stage_job(job: TrainingJob, job_dir: Path) -> dict[str, str]:
    """The ``/opt/ml`` layout under ``job_dir``, and the environment SageMaker's toolkit gives the entry point."""
    if job_dir.exists():
        raise FileExistsError(f"training job {job.name}: {job_dir} already exists; a job name is used once")
    config, data, code = job_dir / "input" / "config", job_dir / "input" / "data", job_dir / "code"
    model, output_data = job_dir / "model", job_dir / "output" / "data"
    for folder in (config, data, model, output_data):
        folder.mkdir(parents=True)
    for channel, location in job.channels.items():
        if not (source := Path(location)).is_dir():
            raise FileNotFoundError(f"training job {job.name}: channel {channel!r}: no folder {source}")
        shutil.copytree(source, data / channel)
    ship_training_code(code)
    hyperparameters = job.hyperparameter_text()
    (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
    channel_config = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}
    (config / "inputdataconfig.json").write_text(json.dumps({channel: channel_config for channel in job.channels}))
    (config / "resourceconfig.json").write_text(json.dumps({"current_host": HOST, "hosts": [HOST]}))
    return {
        "TRAINING_JOB_NAME": job.name,
        "SM_MODEL_DIR": str(model),
        "SM_CHANNELS": json.dumps(sorted(job.channels)),
        **{f"SM_CHANNEL_{channel.upper()}": str(data / channel) for channel in job.channels},
        "SM_HPS": json.dumps(hyperparameters),
        "SM_INPUT_DIR": str(job_dir / "input"),
        "SM_INPUT_CONFIG_DIR": str(config),
        "SM_OUTPUT_DIR": str(job_dir / "output"),
        "SM_OUTPUT_DATA_DIR": str(output_data),
        "SM_CURRENT_HOST": HOST,
        "SM_HOSTS": json.dumps([HOST]),
        "SM_NUM_CPUS": str(os.cpu_count() or 1),
        "SM_NUM_GPUS": "0",
        "SM_MODULE_DIR": str(code),
    }


def _failure_reason(job_dir: Path, returncode: int) -> str:
    failure = job_dir / "output" / FAILURE_FILE
    if failure.exists() and (reason := failure.read_text().strip()):
        return reason.splitlines()[0]
    if returncode < 0:
        return f"the training process was ended by {signal.Signals(-returncode).name}"
    return f"the training process exited with {returncode} and left no reason in output/{FAILURE_FILE}"


def _pack_model(job_dir: Path) -> Path:
    """``model/``'s contents as ``output/model.tar.gz``, the artefact SageMaker uploads."""
    artifact = job_dir / "output" / "model.tar.gz"
    with tarfile.open(artifact, "w:gz") as archive:
        for path in sorted((job_dir / "model").iterdir()):
            archive.add(path, arcname=path.name)
    return artifact


def run_locally(job: TrainingJob, jobs_dir: Path) -> TrainingOutcome:
    """Run ``job`` in a child process under ``jobs_dir/<job name>``; a failure raises with the job's own reason."""
    job_dir = jobs_dir / job.name
    variables = _stage_job(job, job_dir)
    command = [sys.executable, "-m", entry_module(job.entry_point), *job.arguments()]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"} | variables
    log = job_dir / "output" / "training.log"
    logger.info("training job %s: %s", job.name, " ".join(command[1:]))
    started = time.perf_counter()
    with log.open("w") as sink:
        returncode = subprocess.run(
            command, cwd=job_dir / "code", env=environment, stdout=sink, stderr=subprocess.STDOUT, check=False
        ).returncode
    seconds = time.perf_counter() - started
    if returncode != 0:
        raise TrainingJobFailedError(
            f"training job {job.name} failed: {_failure_reason(job_dir, returncode)} (log: {log})"
        )
    metrics = json.loads((job_dir / "output" / "data" / METRICS_FILE).read_text())
    logger.info("training job %s completed in %.1f s", job.name, seconds)
    return TrainingOutcome(job_dir, _pack_model(job_dir), metrics, seconds)
