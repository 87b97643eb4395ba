"""Benchmarks: named stages timed in their own process, each compared with a baseline in the same run."""
