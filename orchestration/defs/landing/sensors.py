"""A run for exactly the right week whenever a weekly landing file appears or changes (local folder or S3 prefix)."""

import hashlib
import json
from collections import defaultdict

import dagster as dg
from pyarrow import fs

from lakehouse.landing.land import week_of_path
from lakehouse.landing.storage import landing_store
from lakehouse.settings import Settings
from orchestration.defs.lake.assets import bronze_key, silver_key
from orchestration.defs.models.assets import PLATFORM_ASSETS
from orchestration.partitions import partition_of_week
from spark_jobs.tables import FIRST_WEEK, LAST_WEEK, TABLES

WEEKLY_TABLES = tuple(name for name, spec in TABLES.items() if spec.weekly)


def week_selection(feed: str) -> dg.AssetSelection:
    """A feed's bronze and silver and every week's asset downstream; the models train weekly in their own job."""
    downstream = dg.AssetSelection.assets(bronze_key(feed), silver_key(feed)).downstream()
    return downstream & PLATFORM_ASSETS


def _s3_signatures(settings: Settings) -> dict[str, str]:
    bucket, _, prefix = settings.landing_uri.split("://", 1)[1].partition("/")
    prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    listing = settings.object_store.boto3_client().get_paginator("list_objects_v2")
    pages = listing.paginate(Bucket=bucket, Prefix=prefix)
    found = (listed for page in pages for listed in page.get("Contents", []))
    return {str(listed["Key"]).removeprefix(prefix): str(listed["ETag"]) for listed in found}


def _folder_signatures(settings: Settings) -> dict[str, str]:
    store = landing_store(settings)
    selector = fs.FileSelector(store.root, recursive=True, allow_not_found=True)
    root = store.root.rstrip("/") + "/"
    return {
        info.path.removeprefix(root): f"{info.size}:{info.mtime_ns}"
        for info in store.filesystem.get_file_info(selector)
        if info.type == fs.FileType.File
    }


def weekly_landing_files(settings: Settings) -> dict[str, str]:
    """Every weekly feed's landing file (relative path) with a signature that changes when the file does."""
    on_s3 = settings.landing_uri.startswith(("s3://", "s3a://"))
    listed = _s3_signatures(settings) if on_s3 else _folder_signatures(settings)
    return {
        path: signature
        for path, signature in listed.items()
        if path.split("/", 1)[0] in WEEKLY_TABLES and week_of_path(path) is not None
    }


def new_landing_files(settings: Settings) -> dg.SensorDefinition:
    """The sensor, looking every ``settings.landing_sensor_interval_s`` seconds (a minute by default)."""
    return dg.SensorDefinition(
        name="new_landing_files",
        evaluation_fn=runs_for_new_landing_files,
        target=dg.AssetSelection.all(),
        minimum_interval_seconds=settings.landing_sensor_interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Every {settings.landing_sensor_interval_s} s: a new or changed weekly landing file starts a run "
        "of its week's partition, for that feed's bronze and silver and everything built on them.",
        required_resource_keys={"settings"},
    )


def runs_for_new_landing_files(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Ingest a new or changed weekly file, and rebuild what depends on it, for that file's week only.

    The first evaluation records what is already there: files landed before
    the sensor ran are the daily ingestion's, not a flood of runs.
    """
    settings: Settings = context.resources.settings
    current = weekly_landing_files(settings)
    if context.cursor is None:
        return dg.SensorResult(
            skip_reason=f"watching {len(current)} weekly files under {settings.landing_uri}; new ones start runs",
            cursor=json.dumps(current),
        )
    seen: dict[str, str] = json.loads(context.cursor)
    changed: dict[tuple[str, int], list[str]] = defaultdict(list)
    for path, signature in sorted(current.items()):
        if seen.get(path) != signature:
            week = week_of_path(path) or 0
            if not FIRST_WEEK <= week <= LAST_WEEK:
                context.log.warning(f"{path}: week {week} is outside the data's weeks {FIRST_WEEK}-{LAST_WEEK}; no run")
                continue
            changed[(path.split("/", 1)[0], week)].append(f"{path}@{signature}")
    asset_graph = context.repository_def.asset_graph if context.repository_def else None
    requests = []
    for (feed, week), files in sorted(changed.items()):
        selected = week_selection(feed)
        keys = sorted(selected.resolve(asset_graph)) if asset_graph else [bronze_key(feed), silver_key(feed)]
        requests.append(
            dg.RunRequest(
                run_key=f"{feed}:{week}:{hashlib.sha256(' '.join(files).encode()).hexdigest()[:16]}",
                partition_key=partition_of_week(week),
                asset_selection=keys,
                tags={"landing/feed": feed, "landing/files": str(len(files))},
            )
        )
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(current))
