"""What every benchmark stage shares: its shape, its outcome, and the full data under ``bench/.data``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.settings import PROJECT_ROOT, Settings

BENCH_DATA = PROJECT_ROOT / "bench" / ".data"


@dataclass(frozen=True)
class Outcome:
    """What a timed run handled, with per-part details (rows and seconds per table, say)."""

    rows: int
    detail: dict[str, Any]


@dataclass(frozen=True)
class Stage:
    prepare: Callable[[Path], Any]
    run: Callable[[Any], int | Outcome]
    description: str


def bench_settings() -> Settings:
    return Settings(data_dir=BENCH_DATA, tokenisation_key_file=BENCH_DATA / "secrets" / "tokenisation.key")
