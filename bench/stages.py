"""The benchmark stages. Each takes a scratch folder and returns the rows it handled.

A stage named in ``BASELINES`` is compared with the plain-tool stage given
there, run in the same ``make bench`` on the same machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from lakehouse.landing import complete_journey
from lakehouse.landing.land import land_sources
from lakehouse.settings import Settings


def landing_full(scratch: Path) -> int:
    """The full landing step: every feed of the real data plus the synthetic PII, split by week."""
    manifest = land_sources(Settings(data_dir=scratch), force=True)
    return sum(manifest.files.values())


def landing_pyarrow_copy(scratch: Path) -> int:
    """Baseline: read the same eight tables with pyarrow and write each as one Parquet file."""
    target = scratch / "copy"
    target.mkdir(parents=True, exist_ok=True)
    rows = 0
    for name in complete_journey.TABLES:
        table = complete_journey.read_table(name)
        pq.write_table(table, target / f"{name}.parquet", compression="zstd", coerce_timestamps="us")
        rows += table.num_rows
    return rows


STAGES: dict[str, Callable[[Path], int]] = {
    "landing_pyarrow_copy": landing_pyarrow_copy,
    "landing_full": landing_full,
}

BASELINES: dict[str, str] = {"landing_full": "landing_pyarrow_copy"}
