"""Landing: the raw feeds as they arrive, one asset per feed.

The platform lands The Complete Journey (a seeded sample or all of it) the way
a retailer's feeds arrive: weekly files for the weekly feeds, snapshots for the
rest. One step writes them all, since the sample of households binds them.
"""

from collections.abc import Iterator

import dagster as dg

from lakehouse.landing.land import ALL_FEEDS, land_sources
from lakehouse.settings import Settings
from orchestration.failures import TRANSIENT_RETRY
from orchestration.owners import PLATFORM_OWNER
from spark_jobs.tables import TABLES

GROUP = "landing"


def landing_key(feed: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", feed])


class LandingConfig(dg.Config):
    households: int | None = None
    """A seeded sample of this many households; all 2,469 when empty."""
    force: bool = False
    """Write the files again even when the same inputs wrote them before."""


def _feed_spec(feed: str) -> dg.AssetSpec:
    cadence = "one file per week" if TABLES[feed].weekly else "a snapshot"
    return dg.AssetSpec(
        landing_key(feed),
        group_name=GROUP,
        kinds={TABLES[feed].landing_format},
        owners=[PLATFORM_OWNER],
        description=f"Raw `{feed}` feed in landing/{feed}/ ({cadence}), as received.",
    )


@dg.multi_asset(
    name="landing_feeds",
    specs=[_feed_spec(feed) for feed in ALL_FEEDS],
    can_subset=False,
    retry_policy=TRANSIENT_RETRY,
)
def landing_feeds(config: LandingConfig, settings: dg.ResourceParam[Settings]) -> Iterator[dg.MaterializeResult]:
    """Land every feed; a rerun with the same inputs finds the files in place and writes nothing."""
    manifest = land_sources(settings, households=config.households, force=config.force)
    for feed in ALL_FEEDS:
        files = [path for path in manifest.files if path.startswith(f"{feed}/")]
        yield dg.MaterializeResult(
            asset_key=landing_key(feed),
            metadata={
                "dagster/row_count": manifest.rows(feed),
                "files": len(files),
                "location": dg.MetadataValue.path(f"{settings.landing_uri}/{feed}"),
                "households": config.households or "all",
            },
        )
