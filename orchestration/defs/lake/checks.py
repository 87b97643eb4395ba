"""Silver must be fresh: the daily ingestion touches every silver table, so none may go a day and a bit without it."""

from __future__ import annotations

from datetime import timedelta

from orchestration.defs.lake.assets import silver_key
from orchestration.freshness import freshness_checks
from spark_jobs.tables import TABLES

SILVER_FRESHNESS = freshness_checks("silver_freshness", [silver_key(table) for table in TABLES], timedelta(hours=26))
