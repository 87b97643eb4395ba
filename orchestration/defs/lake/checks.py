"""Silver must be fresh: the daily ingestion touches every silver table, so none may go a day and a bit without it."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from orchestration.defs.lake.assets import silver_key
from spark_jobs.tables import TABLES

SILVER_FRESHNESS = dg.build_last_update_freshness_checks(
    assets=[silver_key(table) for table in TABLES], lower_bound_delta=timedelta(hours=26)
)
