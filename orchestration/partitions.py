"""The data's weeks as Dagster partitions.

The Complete Journey numbers its weeks 1 to 53: week 1 is Sunday 2017-01-01
alone, and week N >= 2 starts on Monday 2017-01-02 + 7 (N - 2). Monday-start
partitions from 2016-12-26 therefore hold exactly one data week each, keyed by
the Monday of that calendar week.
"""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from spark_jobs.tables import FIRST_WEEK, LAST_WEEK

FIRST_MONDAY = date(2016, 12, 26)

WEEK_PARTITIONS = dg.WeeklyPartitionsDefinition(
    start_date=FIRST_MONDAY.isoformat(),
    end_date=(FIRST_MONDAY + timedelta(weeks=LAST_WEEK - FIRST_WEEK + 1)).isoformat(),
    day_offset=1,
)


def partition_of_week(week: int) -> str:
    """The partition key of the data's week ``week``."""
    if not FIRST_WEEK <= week <= LAST_WEEK:
        raise ValueError(f"week {week} is outside the data's weeks {FIRST_WEEK}-{LAST_WEEK}")
    return (FIRST_MONDAY + timedelta(weeks=week - FIRST_WEEK)).isoformat()


def week_of_partition(key: str) -> int:
    """The data's week held by the partition ``key`` (a Monday, ``YYYY-MM-DD``)."""
    return (date.fromisoformat(key) - FIRST_MONDAY).days // 7 + FIRST_WEEK


def weeks_of_run(context: dg.AssetExecutionContext) -> range | None:
    """The data's weeks a run covers: its partition or partition range; None when the asset is not partitioned."""
    partitioned_run = context.has_partition_key or context.has_partition_key_range
    if context.assets_def.partitions_def is None or not partitioned_run:
        return None
    keys = context.partition_key_range
    return range(week_of_partition(keys.start), week_of_partition(keys.end) + 1)


def weeks_label(weeks: range) -> str:
    """The data's weeks a partitioned run covered, as operators read them beside its Monday keys: ``30`` or ``1-53``."""
    return str(weeks.start) if len(weeks) == 1 else f"{weeks.start}-{weeks.stop - 1}"


def all_weeks_tags() -> dict[str, str]:
    """Run tags for one run over every week: how a schedule asks for a single-run backfill of the full history."""
    keys = WEEK_PARTITIONS.get_partition_keys()
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}
