"""Launch a training job on SageMaker with the SDK's ModelTrainer: the same entry point, its channels on S3.

The SDK uploads the training code (as the ``code`` channel) and its own
drivers (``sm_drivers``) to the staging bucket, and the container runs
``python3 -m ml.training.<model> --key value ...`` from the code folder with
SageMaker's ``SM_*`` variables: what the local runner runs, in the same layout.
The SDK's telemetry is off: the session carries a configuration that opts out.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import boto3
from sagemaker.core.helper.session_helper import Session
from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig, SourceCode, StoppingCondition
from sagemaker.train import ModelTrainer

from ml.jobs import TrainingJob
from ml.training_code import entry_module, ship_training_code

logger = logging.getLogger(__name__)

TELEMETRY_OFF = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
"""The SDK's defaults configuration: no usage report is sent, and no configuration file is looked for."""


@dataclass(frozen=True)
class SageMakerTarget:
    """Where and as whom a training job runs on SageMaker."""

    role_arn: str
    image_uri: str
    staging_bucket: str
    """Where the SDK uploads the training code and its drivers."""
    output_path: str
    """``s3://`` prefix under which SageMaker writes each job's ``model.tar.gz`` and ``output.tar.gz``."""
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = 1
    max_runtime_seconds: int = 3600


@dataclass(frozen=True)
class LaunchedJob:
    name: str
    arn: str


def model_trainer(job: TrainingJob, target: SageMakerTarget, boto_session: boto3.Session, code: Path) -> ModelTrainer:
    """The ModelTrainer for ``job``, with the training code shipped from ``code``; every channel must be on S3."""
    if not_on_s3 := sorted(name for name, location in job.channels.items() if not str(location).startswith("s3://")):
        raise ValueError(f"training job {job.name}: channel {', '.join(not_on_s3)} is not an s3:// prefix")
    session = Session(boto_session=boto_session, default_bucket=target.staging_bucket, sagemaker_config=TELEMETRY_OFF)
    return ModelTrainer(
        sagemaker_session=session,
        role=target.role_arn,
        training_image=target.image_uri,
        base_job_name=job.name,
        source_code=SourceCode(
            source_dir=str(ship_training_code(code)),
            command=f"python3 -m {entry_module(job.entry_point)}",
            args=job.arguments(),
        ),
        compute=Compute(instance_type=target.instance_type, instance_count=target.instance_count),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=target.max_runtime_seconds),
        output_data_config=OutputDataConfig(s3_output_path=target.output_path),
        hyperparameters=job.hyperparameter_text(),
        input_data_config=[
            InputData(channel_name=name, data_source=str(location)) for name, location in job.channels.items()
        ],
    )


def launch_on_sagemaker(job: TrainingJob, target: SageMakerTarget, boto_session: boto3.Session) -> LaunchedJob:
    """Upload the code, send CreateTrainingJob and return without waiting: SageMaker runs the job."""
    with tempfile.TemporaryDirectory(prefix=f"{job.name}-code-") as code:
        trainer = model_trainer(job, target, boto_session, Path(code) / "source")
        trainer.train(wait=False, logs=False)
    created = trainer._latest_training_job  # the SDK keeps the job it created only here
    assert created is not None, "ModelTrainer.train returned without creating a job"
    logger.info("SageMaker training job %s created", created.training_job_name)
    return LaunchedJob(name=str(created.training_job_name), arn=str(created.training_job_arn))
