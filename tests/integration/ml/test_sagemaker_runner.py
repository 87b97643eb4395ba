"""The SageMaker runner's exact CreateTrainingJob request, with S3 on MinIO and AWS's control plane stubbed.

SageMaker and IAM cannot run on this machine: their clients answer from
botocore's Stubber, which checks each request against what is expected. The
training code and the SDK's drivers go to a real S3 server (MinIO), and no
connection leaves the loopback interface.
"""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from sagemaker.core.utils.utils import SageMakerClient

import ml.training
from lakehouse.ingest import IngestSummary
from lakehouse.minio_server import MinioServer
from lakehouse.ml_datasets import extract_dataset
from lakehouse.models import BackendNotReadyError, launch_training, sagemaker_target
from lakehouse.settings import Settings
from ml.jobs import TrainingJob
from ml.local_runner import run_locally
from ml.sagemaker_runner import SageMakerTarget, launch_on_sagemaker
from tests.ml_channels import transaction_lines, write_channels

pytestmark = pytest.mark.integration

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/RetailLakehouseTraining"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
BUCKET = "lake"
CHANNELS = ("train", "validation", "test")
HYPERPARAMETERS: dict[str, str | int] = {"factors": "8,16", "k": 10}
TARGET = SageMakerTarget(
    role_arn=ROLE,
    image_uri=IMAGE,
    staging_bucket=BUCKET,
    output_path=f"s3://{BUCKET}/ml/jobs/",
    max_runtime_seconds=1800,
)


def _channel(name: str, uri: Any) -> dict[str, Any]:
    source = {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}
    return {"ChannelName": name, "DataSource": {"S3DataSource": source}, "InputMode": "File"}


EXPECTED_REQUEST = {
    "TrainingJobName": ANY,
    "RoleArn": ROLE,
    "AlgorithmSpecification": {
        "TrainingImage": IMAGE,
        "TrainingInputMode": "File",
        "ContainerEntrypoint": ["/bin/bash"],
        "ContainerArguments": [
            "-c",
            "chmod +x /opt/ml/input/data/sm_drivers/sm_train.sh && /opt/ml/input/data/sm_drivers/sm_train.sh",
        ],
    },
    "HyperParameters": {"factors": "8,16", "k": "10"},
    "InputDataConfig": [
        *(_channel(name, f"s3://{BUCKET}/ml/datasets/recommend/v1/{name}/") for name in CHANNELS),
        _channel("code", ANY),
        _channel("sm_drivers", ANY),
    ],
    "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/ml/jobs/", "CompressionType": "GZIP"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
}


class ControlPlane:
    """SageMaker and IAM clients of a boto3 session, created once and answered by Stubbers."""

    def __init__(self, session: boto3.Session) -> None:
        create_client = session.client
        self.clients = {name: create_client(name, region_name=REGION) for name in ("sagemaker", "iam")}  # type: ignore[call-overload]
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}
        self.requests: list[dict[str, Any]] = []

        def client(name: str, *args: Any, **kwargs: Any) -> Any:
            if name in self.clients:
                return self.clients[name]
            return create_client(name, *args, **kwargs)  # type: ignore[call-overload]

        session.client = client  # type: ignore[method-assign, assignment]
        self.clients["sagemaker"].meta.events.register(
            "before-parameter-build.sagemaker.CreateTrainingJob", self._answer_describe
        )

    def _answer_describe(self, params: dict[str, Any], **_: Any) -> None:
        """The SDK describes the job it created: answer with the name the request gave it."""
        self.requests.append(copy.deepcopy(params))
        described = {
            "TrainingJobName": params["TrainingJobName"],
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{params['TrainingJobName']}",
            "ModelArtifacts": {"S3ModelArtifacts": ""},
            "TrainingJobStatus": "InProgress",
            "SecondaryStatus": "Starting",
            "StoppingCondition": params["StoppingCondition"],
            "CreationTime": datetime(2026, 12, 3),
        }
        self.stubs["sagemaker"].add_response(
            "describe_training_job", described, {"TrainingJobName": params["TrainingJobName"]}
        )

    def expect_a_training_job(self, request: dict[str, Any]) -> None:
        allowed = {"EvaluationResults": [{"EvalActionName": "sagemaker:CreateTrainingJob", "EvalDecision": "allowed"}]}
        iam = self.stubs["iam"]
        iam.add_response("simulate_principal_policy", allowed, {"PolicySourceArn": ROLE, "ActionNames": ANY})
        trust = {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ]
        }
        role = {
            "Path": "/",
            "RoleName": "RetailLakehouseTraining",
            "RoleId": "AROAEXAMPLETRAINING1",
            "Arn": ROLE,
            "CreateDate": datetime(2026, 1, 1),
            "AssumeRolePolicyDocument": json.dumps(trust),
        }
        iam.add_response("get_role", {"Role": role}, {"RoleName": "RetailLakehouseTraining"})
        for _ in ("code", "sm_drivers"):
            staging = {
                "PolicySourceArn": ROLE,
                "ActionNames": ["s3:PutObject"],
                "ResourceArns": [f"arn:aws:s3:::{BUCKET}/*"],
            }
            iam.add_response("simulate_principal_policy", allowed, staging)
        arn = f"arn:aws:sagemaker:{REGION}:123456789012:training-job/created"
        self.stubs["sagemaker"].add_response("create_training_job", {"TrainingJobArn": arn}, request)
        for stub in self.stubs.values():
            stub.activate()


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection or name lookup beyond 127.0.0.1 is refused and recorded (telemetry would be one)."""
    refused: list[str] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if address[0] != "127.0.0.1":
            refused.append(f"connect {address}")
            raise OSError(f"no network beyond loopback in this test: {address}")
        connect(self, address)

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost"):
            refused.append(f"lookup {host}")
            raise OSError(f"no name lookups beyond loopback in this test: {host}")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    return refused


@pytest.fixture
def aws(minio: MinioServer, local_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """A boto3 session whose S3 is the test MinIO; the SDK's client cache starts empty."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", minio.endpoint)
    SageMakerClient.reset()
    yield boto3.Session(
        aws_access_key_id=minio.user,
        aws_secret_access_key=local_settings.minio_password.get_secret_value(),
        region_name=REGION,
    )
    SageMakerClient.reset()


@pytest.fixture(scope="module")
def sample_channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_channels(tmp_path_factory.mktemp("datasets"), transaction_lines(150, 11))


def _upload(s3: Any, channels: dict[str, Path]) -> dict[str, Path | str]:
    uris: dict[str, Path | str] = {}
    for name, folder in channels.items():
        for path in folder.glob("*.parquet"):
            s3.upload_file(str(path), BUCKET, f"ml/datasets/recommend/v1/{name}/{path.name}")
        uris[name] = f"s3://{BUCKET}/ml/datasets/recommend/v1/{name}/"
    return uris


def _objects(s3: Any, prefix: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {item["Key"][len(prefix) :]: s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed}


def test_the_runner_sends_exactly_this_create_training_job_and_ships_only_the_training_code(
    aws: boto3.Session, loopback_only: list[str], sample_channels: dict[str, Path]
) -> None:
    s3 = aws.client("s3")
    job = TrainingJob("recommend-sample", "recommend", _upload(s3, sample_channels), HYPERPARAMETERS)
    control_plane = ControlPlane(aws)
    control_plane.expect_a_training_job(EXPECTED_REQUEST)

    launched = launch_on_sagemaker(job, TARGET, aws)

    for stub in control_plane.stubs.values():
        stub.assert_no_pending_responses()
    [request] = control_plane.requests
    assert launched.name == request["TrainingJobName"] and launched.name.startswith("recommend-sample-")
    assert not loopback_only, loopback_only
    channels = {
        channel["ChannelName"]: channel["DataSource"]["S3DataSource"]["S3Uri"] for channel in request["InputDataConfig"]
    }
    code = _objects(s3, channels["code"].removeprefix(f"s3://{BUCKET}/").rstrip("/") + "/")
    assert sorted(code) == [
        "ml/__init__.py",
        *sorted(f"ml/training/{path.name}" for path in Path(ml.training.__file__).parent.glob("*.py")),
    ]
    drivers = _objects(s3, channels["sm_drivers"].removeprefix(f"s3://{BUCKET}/").rstrip("/") + "/")
    assert "python3 -m ml.training.recommend --factors 8,16 --k 10" in drivers["sm_train.sh"].decode()


def test_the_request_describes_the_job_the_local_runner_runs_and_both_give_the_same_metrics(
    aws: boto3.Session, loopback_only: list[str], sample_channels: dict[str, Path], tmp_path: Path
) -> None:
    s3 = aws.client("s3")
    job = TrainingJob("recommend-twin", "recommend", _upload(s3, sample_channels), HYPERPARAMETERS)
    control_plane = ControlPlane(aws)
    control_plane.expect_a_training_job(EXPECTED_REQUEST)
    launch_on_sagemaker(job, TARGET, aws)
    [request] = control_plane.requests

    downloaded: dict[str, Path | str] = {}
    for channel in request["InputDataConfig"]:
        name, uri = channel["ChannelName"], channel["DataSource"]["S3DataSource"]["S3Uri"]
        if name in CHANNELS:
            folder = tmp_path / "as-sagemaker-copies-it" / name
            folder.mkdir(parents=True)
            for key, body in _objects(s3, uri.removeprefix(f"s3://{BUCKET}/")).items():
                (folder / key).write_bytes(body)
            downloaded[name] = folder
    from_the_request = TrainingJob("from-the-request", "recommend", downloaded, request["HyperParameters"])
    as_written = TrainingJob("as-written", "recommend", dict(sample_channels), HYPERPARAMETERS)

    twin = run_locally(from_the_request, tmp_path / "jobs")
    original = run_locally(as_written, tmp_path / "jobs")

    assert twin.metrics["test"] == original.metrics["test"]
    assert twin.metrics["chosen"] == original.metrics["chosen"]


def test_models_train_on_the_sagemaker_backend_uploads_the_dataset_and_sends_this_request(
    aws: boto3.Session,
    loopback_only: list[str],
    local_settings: Settings,
    s3_settings: Settings,
    ingested_local: IngestSummary,
    tmp_path: Path,
) -> None:
    settings = local_settings.model_copy(
        update={
            "data_dir": tmp_path,
            "s3_endpoint": s3_settings.s3_endpoint,
            "s3_access_key": s3_settings.s3_access_key,
            "s3_secret_key": s3_settings.s3_secret_key,
            "ml_backend": "sagemaker",
            "sagemaker_role_arn": ROLE,
            "sagemaker_image_uri": IMAGE,
            "ml_s3_uri": f"s3://{BUCKET}/ml",
        }
    )
    dataset = extract_dataset(settings, "recommend")
    prefix = f"s3://{BUCKET}/ml/datasets/recommend/{dataset.manifest.version}"
    expected: dict[str, Any] = copy.deepcopy(EXPECTED_REQUEST)
    expected["HyperParameters"] = {}
    expected["InputDataConfig"][:3] = [_channel(name, f"{prefix}/{name}/") for name in sorted(CHANNELS)]
    expected["StoppingCondition"] = {"MaxRuntimeInSeconds": 3600}
    control_plane = ControlPlane(aws)
    control_plane.expect_a_training_job(expected)

    _, launched = launch_training(settings, "recommend", aws)

    for stub in control_plane.stubs.values():
        stub.assert_no_pending_responses()
    assert launched.name.startswith(f"recommend-{dataset.manifest.version}-")
    assert not loopback_only, loopback_only
    s3 = aws.client("s3")
    for channel, folder in dataset.channels.items():
        uploaded = _objects(s3, f"ml/datasets/recommend/{dataset.manifest.version}/{channel}/")
        assert uploaded == {path.name: path.read_bytes() for path in folder.glob("*.parquet")}, channel


def test_the_sagemaker_backend_without_a_role_is_refused_naming_the_settings(local_settings: Settings) -> None:
    settings = local_settings.model_copy(update={"ml_backend": "sagemaker", "sagemaker_image_uri": IMAGE})

    with pytest.raises(BackendNotReadyError) as refused:
        sagemaker_target(settings)

    assert str(refused.value) == (
        "ML_BACKEND=sagemaker needs LAKEHOUSE_SAGEMAKER_ROLE_ARN, LAKEHOUSE_ML_S3_URI; nothing was launched"
    )
