"""The platform's Dagster code location: every step an asset, merged per domain in ``definitions.py``."""
