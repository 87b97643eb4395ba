"""Settings: embedded defaults for everything, environment overrides, no default secrets in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from lakehouse.settings import Settings

pytestmark = pytest.mark.unit


def test_every_folder_defaults_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert (settings.landing_uri, settings.lake_uri) == (str(tmp_path / "landing"), str(tmp_path / "lake"))


def test_documented_bare_names_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLICKHOUSE_URL", "https://clickhouse.example.com:8443")
    monkeypatch.setenv("SPARK_MASTER", "spark://spark-master:7077")
    monkeypatch.setenv("LAKEHOUSE_LAKE_URI", "s3a://retail-lake/prod")
    settings = Settings()
    assert settings.clickhouse_url == "https://clickhouse.example.com:8443"
    assert settings.spark_master == "spark://spark-master:7077"
    assert settings.lake_is_s3


def test_production_refuses_the_embedded_default_secrets() -> None:
    with pytest.raises(ValidationError, match="LAKEHOUSE_ANALYST_PASSWORD"):
        Settings(profile="production")


def test_production_starts_once_every_secret_is_set() -> None:
    settings = Settings(
        profile="production",
        analyst_password=SecretStr("s3cret-a"),
        minio_password=SecretStr("s3cret-m"),
        clickhouse_password=SecretStr("s3cret-c"),
    )
    assert settings.profile == "production"


def test_the_spacy_model_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEHOUSE_PRESIDIO_MODEL", "en_core_web_lg")
    assert Settings().presidio_model == "en_core_web_lg"


def test_a_schedule_that_is_not_a_cron_expression_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="marts_build_cron"):
        Settings(data_dir=tmp_path, marts_build_cron="every monday")
