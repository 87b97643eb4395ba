"""Reading ``hey``'s summary, as Debian's hey 0.1.4 prints it, into the load benchmark's figures."""

from __future__ import annotations

from bench.api_load import _worst, parse_summary, readme_table

SERVED = """
Summary:
  Total:\t3.0284 secs
  Slowest:\t0.0116 secs
  Fastest:\t0.0003 secs
  Average:\t0.0018 secs
  Requests/sec:\t99.0616

  Total data:\t548100 bytes
  Size/request:\t1827 bytes

Response time histogram:
  0.000 [1]\t|
  0.001 [174]\t|■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■
  0.003 [71]\t|■■■■■■■■■■■■■■■■
  0.004 [29]\t|■■■■■■■
  0.005 [17]\t|■■■■
  0.006 [4]\t|■
  0.007 [0]\t|
  0.008 [0]\t|
  0.009 [2]\t|
  0.011 [1]\t|
  0.012 [1]\t|


Latency distribution:
  10% in 0.0008 secs
  25% in 0.0010 secs
  50% in 0.0013 secs
  75% in 0.0019 secs
  90% in 0.0036 secs
  95% in 0.0042 secs
  99% in 0.0089 secs

Details (average, fastest, slowest):
  DNS+dialup:\t0.0000 secs, 0.0003 secs, 0.0116 secs
  DNS-lookup:\t0.0000 secs, 0.0000 secs, 0.0000 secs
  req write:\t0.0000 secs, 0.0000 secs, 0.0008 secs
  resp wait:\t0.0016 secs, 0.0002 secs, 0.0069 secs
  resp read:\t0.0001 secs, 0.0000 secs, 0.0045 secs

Status code distribution:
  [200]\t300 responses



"""
"""A real summary: 300 requests at 100/s against the bare endpoint."""

FEW = """
Summary:
  Total:\t1.0031 secs

Latency distribution:
  10% in 0.0011 secs
  50% in 0.0013 secs
  90% in 0.0021 secs
  0% in 0.0000 secs
  0% in 0.0000 secs

Details (average, fastest, slowest):
  DNS+dialup:\t0.0004 secs, 0.0003 secs, 0.0005 secs

Status code distribution:
  [200]\t8 responses
  [429]\t2 responses
"""
"""Too few answers to fill every percentile: hey prints "0% in" for those it cannot."""

REFUSED = """
Summary:
  Total:\t2.0089 secs

Status code distribution:

Error distribution:
  [93735]\tGet "http://127.0.0.1:18112/x": dial tcp 127.0.0.1:18112: connect: connection refused
  [2]\tGet "http://127.0.0.1:18112/x": context deadline exceeded (Client.Timeout exceeded)
"""


def test_a_full_summary_gives_answers_by_status_and_latency_percentiles_in_ms() -> None:
    assert parse_summary(SERVED) == {
        "seconds": 3.0284,
        "statuses": {200: 300},
        "transport_errors": 0,
        "latency_ms": {10: 0.8, 25: 1.0, 50: 1.3, 75: 1.9, 90: 3.6, 95: 4.2, 99: 8.9},
    }


def test_percentiles_hey_could_not_fill_are_missing_and_the_worst_stream_has_none() -> None:
    few = parse_summary(FEW)

    assert few["statuses"] == {200: 8, 429: 2}
    assert few["latency_ms"] == {10: 1.1, 50: 1.3, 90: 2.1}
    assert _worst([parse_summary(SERVED), few], 50) == 1.3
    assert _worst([parse_summary(SERVED), few], 99) is None


def test_requests_that_got_no_answer_are_counted_as_transport_errors() -> None:
    parsed = parse_summary(REFUSED)

    assert parsed["statuses"] == {} and parsed["latency_ms"] == {} and parsed["transport_errors"] == 93737


def test_the_readme_table_shows_a_figure_that_could_not_be_measured_as_a_dash() -> None:
    figures = {
        "offered_per_s": 500, "ok": 0, "errors": 30000, "throughput_per_s": 0.0, "vs_bare": None,
        "latency_ms": {"50": None, "99": None}, "server_cpu_ms_per_request": None,
    }  # fmt: skip

    table = readme_table({"detail": dict.fromkeys(("bare", "recommendations", "category_performance"), figures)})

    assert table.splitlines()[2] == "| bare | 500 | 0 | 0.0 | - | - | - | 30000 | - |"
