"""Run one stage in this process and print what it cost as JSON: ``python -m bench.measure STAGE DIR``."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from bench.stages import STAGES


def measure(stage: str, scratch: Path) -> dict[str, float]:
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    rows = STAGES[stage](scratch)
    wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, children.ru_maxrss)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu + children.ru_utime + children.ru_stime, 3),
        "peak_rss_mb": round(peak_kib / 1024, 1),
        "rows": rows,
        "rows_per_s": round(rows / wall, 1) if wall else 0.0,
    }


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]))))
