"""``make bench``: run every stage in a fresh process, write bench/results/<stage>.json and the README table."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from typing import Any

from bench import api_load
from bench.stages import BASELINES, STAGES
from lakehouse.settings import PROJECT_ROOT, get_settings

README = PROJECT_ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- bench:start -->", "<!-- bench:end -->"
API_TABLE_START, API_TABLE_END = "<!-- bench-api:start -->", "<!-- bench-api:end -->"


def run_stage(stage: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{stage}-") as scratch:
        print(f"> bench {stage} ...", flush=True)
        completed = subprocess.run(
            [sys.executable, "-m", "bench.measure", stage, scratch],
            capture_output=True, text=True, check=False, cwd=PROJECT_ROOT,
        )  # fmt: skip
        if completed.returncode != 0:
            raise SystemExit(f"bench {stage} failed:\n{completed.stderr[-4000:]}")
        result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
        print(f"ok bench {stage}: {result['wall_s']:.1f}s wall, {result['rows']:,.0f} rows", flush=True)
        return result


def readme_table(results: dict[str, dict[str, object]]) -> str:
    lines = [
        "| stage | what | wall s | CPU s | peak RSS MB | rows | rows/s | vs baseline |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for stage, result in results.items():
        if result["baseline"]:
            ratio = f"{result['ratio_to_baseline']}x {result['baseline']}"
        else:
            ratio = "baseline" if stage in BASELINES.values() else "-"
        lines.append(
            f"| {stage} | {STAGES[stage].description} | {result['wall_s']:.1f} | {result['cpu_s']:.1f} | "
            f"{result['peak_rss_mb']:,.0f} | {result['rows']:,} | {result['rows_per_s']:,.0f} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    results_dir = get_settings().bench_results_dir
    results_dir.mkdir(parents=True, exist_ok=True)
    chosen = sys.argv[1:] or list(STAGES)
    unknown = sorted(set(chosen) - set(STAGES))
    if unknown:
        raise SystemExit(f"unknown bench stage(s) {', '.join(unknown)}; known: {', '.join(STAGES)}")
    for missing_baseline in {BASELINES[stage] for stage in chosen if stage in BASELINES} - set(chosen):
        chosen.insert(0, missing_baseline)
    measured = {stage: run_stage(stage) for stage in chosen}
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    results: dict[str, dict[str, object]] = {}
    for stage, result in measured.items():
        baseline = BASELINES.get(stage)
        ratio = round(result["wall_s"] / measured[baseline]["wall_s"], 2) if baseline is not None else 1.0
        results[stage] = {
            **result,
            "stage": stage,
            "baseline": baseline,
            "ratio_to_baseline": ratio,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine,
        }
        (results_dir / f"{stage}.json").write_text(json.dumps(results[stage], indent=2) + "\n")
    latest = {
        stage: json.loads((results_dir / f"{stage}.json").read_text())
        for stage in STAGES
        if (results_dir / f"{stage}.json").exists()
    }
    text = _between(README.read_text(), TABLE_START, TABLE_END, readme_table(latest))
    if "api_load" in latest:
        text = _between(text, API_TABLE_START, API_TABLE_END, api_load.readme_table(latest["api_load"]))
    README.write_text(text)
    print(f"results: {results_dir}; tables: README.md (benchmarks)")


def _between(text: str, start: str, end: str, table: str) -> str:
    """``text`` with what lies between the ``start`` and ``end`` markers replaced by ``table``."""
    if start not in text or end not in text:
        return text
    head, rest = text.split(start, 1)
    return f"{head}{start}\n{table}\n{end}{rest.split(end, 1)[1]}"


if __name__ == "__main__":
    main()
