"""Reading ``hey``'s summary, as Debian's hey 0.1.4 prints it, into the load benchmark's figures."""

from __future__ import annotations

from bench.api_load import parse_summary

SERVED = """
Summary:
  Total:\t3.0284 secs
  Slowest:\t0.0116 secs
  Requests/sec:\t99.0616

Response time histogram:
  0.000 [1]\t|
  0.001 [174]\t|■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■

Latency distribution:
  10% in 0.0008 secs
  50% in 0.0013 secs
  99% in 0.0089 secs

Status code distribution:
  [200]\t290 responses
  [429]\t10 responses
"""

REFUSED = """
Summary:
  Total:\t2.0089 secs

Status code distribution:

Error distribution:
  [93735]\tGet "http://127.0.0.1:18112/x": dial tcp 127.0.0.1:18112: connect: connection refused
  [2]\tGet "http://127.0.0.1:18112/x": context deadline exceeded (Client.Timeout exceeded)
"""


def test_answers_by_status_and_latency_percentiles_in_ms() -> None:
    assert parse_summary(SERVED) == {
        "seconds": 3.0284,
        "statuses": {200: 290, 429: 10},
        "transport_errors": 0,
        "latency_ms": {10: 0.8, 50: 1.3, 99: 8.9},
    }


def test_requests_that_got_no_answer_are_counted_as_transport_errors() -> None:
    parsed = parse_summary(REFUSED)

    assert parsed["statuses"] == {} and parsed["transport_errors"] == 93737
