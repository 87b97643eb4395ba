"""API load benchmark: the serving API on the full data at a fixed request rate, against a bare uvicorn endpoint.

``hey`` (Debian's package) offers the same fixed rate to three targets in
turn: the bare endpoint (``bench/bare_api.py``), a household's
recommendations and a retailer's category performance. The load comes as one
``hey`` per retailer, each with that retailer's token and one of its
households, so every request passes the real token check, tenancy and rate
limit (the default 200/s per retailer is above each stream's share). The
insight route answers from its cache between the warehouse reads that each
cache expiry causes. A stream's p99 comes from its ``hey`` summary; the
target's p99 is the worst stream's, an upper bound of the pooled p99.
"""

from __future__ import annotations

import atexit
import math
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.common import Outcome
from bench.warehouse import scratch_platform, train_champion
from lakehouse.api_issuer import mint_token
from lakehouse.api_process import ApiProcess
from lakehouse.child_server import start_child, stop_child
from lakehouse.processes import answers, free_port
from lakehouse.settings import PROJECT_ROOT, Settings

LOAD_S = 60
WORKERS_PER_STREAM = 4
RATE_PER_WORKER = 25
"""Each retailer's stream offers 4 x 25 = 100 requests/s; five retailers offer 500/s in all."""
CATEGORY_QUERY = "from_week=40&to_week=91&department=GROCERY"
SCOPES = ("recommendations:read", "insights:read")
PERCENTILES = (10, 25, 50, 75, 90, 95, 99)
PLOT = PROJECT_ROOT / "serving" / "assets" / "api_latency.png"
TARGETS = ("bare", "recommendations", "category_performance")


@dataclass(frozen=True)
class Stream:
    """One retailer's requests: a URL and the header that goes with it."""

    retailer: str
    url: str
    headers: tuple[str, ...]


@dataclass(frozen=True)
class LoadTargets:
    streams: dict[str, list[Stream]]
    server_pids: dict[str, int]
    """The process that answers each target, whose CPU time per answer is measured."""


def _built_platform(scratch: Path) -> Settings:
    """A warehouse over the full silver lake with the marts built and both champions' scores in it."""
    from lakehouse.dbt import build_marts
    from lakehouse.model_scoring import score_model
    from ml.jobs import MODELS

    settings = scratch_platform(scratch)
    build_marts(settings)
    for model in MODELS:
        train_champion(settings, model)
        score_model(settings, model)
    return settings


def _one_household_per_retailer(settings: Settings) -> dict[str, int]:
    from lakehouse.warehouse import admin_client

    rows = admin_client(settings).query(
        "SELECT retailer_id, min(household_id) FROM exports.export_household_segments "
        "WHERE household_id IN (SELECT household_id FROM ml.household_recommendations) "
        "GROUP BY retailer_id ORDER BY retailer_id"
    )
    return {str(retailer): int(household) for retailer, household in rows.result_rows}


def _start_api(settings: Settings) -> tuple[str, int]:
    api = ApiProcess(settings, free_port()).start(timeout_s=300, ready_path="/readyz")
    atexit.register(api.stop)
    assert api.process is not None
    return api.url, api.process.pid


def _start_bare(scratch: Path) -> tuple[str, int]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_child(
        f"the bare endpoint at {url}",
        [sys.executable, "-m", "uvicorn", "bench.bare_api:app", "--port", str(port), "--no-access-log"],
        ready=lambda: answers(f"{url}/v1/households/1/recommendations"),
        log_path=scratch / "bare.log",
        timeout_s=60,
        cwd=PROJECT_ROOT,
    )
    atexit.register(stop_child, process)
    return url, process.pid


def prepare_api_load(scratch: Path) -> LoadTargets:
    """Untimed: the full platform built, the API ready with its scores loaded, the bare endpoint up, tokens minted."""
    settings = _built_platform(scratch)
    api, api_pid = _start_api(settings)
    bare, bare_pid = _start_bare(scratch)
    streams: dict[str, list[Stream]] = {target: [] for target in TARGETS}
    for retailer, household in _one_household_per_retailer(settings).items():
        bearer = (f"Authorization: Bearer {mint_token(settings, retailer, SCOPES)}",)
        streams["bare"].append(Stream(retailer, f"{bare}/v1/households/{household}/recommendations", ()))
        streams["recommendations"].append(Stream(retailer, f"{api}/v1/households/{household}/recommendations", bearer))
        streams["category_performance"].append(
            Stream(retailer, f"{api}/v1/retailers/{retailer}/category-performance?{CATEGORY_QUERY}", bearer)
        )
    pids = {"bare": bare_pid, "recommendations": api_pid, "category_performance": api_pid}
    return LoadTargets(streams, pids)


def _summary(stream: Stream) -> str:
    headers = [argument for header in stream.headers for argument in ("-H", header)]
    command = ["hey", "-z", f"{LOAD_S}s", "-c", str(WORKERS_PER_STREAM), "-q", str(RATE_PER_WORKER), "-t", "5"]
    return subprocess.run([*command, *headers, stream.url], capture_output=True, text=True, check=True).stdout


def parse_summary(text: str) -> dict[str, Any]:
    """What one ``hey`` summary says: duration, answers by status, transport errors, latency percentiles (ms)."""
    total_s = float(re.search(r"Total:\s+([\d.]+) secs", text)[1])  # type: ignore[index]
    statuses = {int(code): int(count) for code, count in re.findall(r"\[(\d{3})\]\s+(\d+) responses", text)}
    errors = sum(int(count) for count in re.findall(r"\[(\d+)\]\s+(?!responses)\S.*", _section(text, "Error")))
    latency = {
        int(p): round(float(s) * 1000, 1)
        for p, s in re.findall(r"(\d+)% in ([\d.]+) secs", _section(text, "Latency"))
        if int(p) in PERCENTILES
    }
    return {"seconds": total_s, "statuses": statuses, "transport_errors": errors, "latency_ms": latency}


def _section(text: str, title: str) -> str:
    """The lines under ``<title> distribution:``, up to the next blank line (hey prints "0% in" for none)."""
    if f"{title} distribution:" not in text:
        return ""
    return text.split(f"{title} distribution:", 1)[1].lstrip("\n").split("\n\n", 1)[0]


def _cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def _under_load(streams: list[Stream], server_pid: int) -> dict[str, Any]:
    cpu_before = _cpu_s(server_pid)
    with ThreadPoolExecutor(len(streams)) as pool:
        parsed = list(pool.map(lambda stream: parse_summary(_summary(stream)), streams))
    server_cpu_s = _cpu_s(server_pid) - cpu_before
    ok = sum(part["statuses"].get(200, 0) for part in parsed)
    answered = sum(sum(part["statuses"].values()) for part in parsed)
    errors = answered - ok + sum(part["transport_errors"] for part in parsed)
    seconds = max(part["seconds"] for part in parsed)
    return {
        "offered_per_s": len(streams) * WORKERS_PER_STREAM * RATE_PER_WORKER,
        "ok": ok,
        "errors": errors,
        "throughput_per_s": round(ok / seconds, 1),
        "server_cpu_ms_per_request": round(server_cpu_s * 1000 / answered, 3) if answered else None,
        "latency_ms": {str(percentile): _worst(parsed, percentile) for percentile in PERCENTILES},
        "streams": {stream.retailer: part for stream, part in zip(streams, parsed, strict=True)},
    }


def _worst(parsed: list[dict[str, Any]], percentile: int) -> float | None:
    """The highest stream's latency at ``percentile``; None when a stream has none (it got no answer)."""
    found = [part["latency_ms"].get(percentile) for part in parsed]
    return None if None in found else max(found)


def api_under_load(targets: LoadTargets) -> Outcome:
    """Each target in turn for ``LOAD_S`` seconds at the fixed rate; the ratios are to the bare endpoint."""
    detail = {target: _under_load(targets.streams[target], targets.server_pids[target]) for target in TARGETS}
    for target in TARGETS:
        bare = detail["bare"]["throughput_per_s"]
        detail[target]["vs_bare"] = round(detail[target]["throughput_per_s"] / bare, 2) if bare else None
    plot_latency(detail, PLOT)
    return Outcome(sum(detail[target]["ok"] + detail[target]["errors"] for target in TARGETS), detail)


def plot_latency(detail: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4))
    for target in TARGETS:
        latency = detail[target]["latency_ms"]
        points = [math.nan if latency[str(p)] is None else latency[str(p)] for p in PERCENTILES]
        axes.plot(PERCENTILES, points, marker="o", label=target.replace("_", " "))
    axes.axhline(25, color="grey", linestyle="--", linewidth=1, label="p99 target, 25 ms")
    axes.set_xlabel("percentile of requests")
    axes.set_ylabel("latency, ms (worst retailer stream)")
    axes.set_title(f"API at {detail['bare']['offered_per_s']} requests/s for {LOAD_S} s, 2 cores")
    axes.legend()
    axes.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def readme_table(result: dict[str, Any]) -> str:
    """The README's table of the last ``api_load`` run."""
    lines = [
        "| target | offered /s | answered 200 | throughput /s | vs bare | p50 ms | p99 ms | errors | CPU ms/request |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target in TARGETS:
        figures = result["detail"][target]
        lines.append(
            f"| {target.replace('_', ' ')} | {figures['offered_per_s']} | {figures['ok']:,} | "
            f"{figures['throughput_per_s']:,.1f} | {_shown(figures['vs_bare'], 'x')} | "
            f"{_shown(figures['latency_ms']['50'])} | {_shown(figures['latency_ms']['99'])} | {figures['errors']} | "
            f"{_shown(figures['server_cpu_ms_per_request'])} |"
        )
    return "\n".join(lines)


def _shown(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value}{unit}"
