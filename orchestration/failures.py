"""How a step fails: retried with backoff when the cause may pass, at once and for good when the data is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from lakehouse.dbt import DbtBuildError
from spark_jobs.quality import TableRuleError

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
"""S3 or the warehouse unreachable, a lost executor: tried again after about 2, 4 and 8 seconds."""

DATA_ERRORS: tuple[type[Exception], ...] = (TableRuleError, DbtBuildError, DagsterDbtCliRuntimeError)
"""Errors that say the data or a model is wrong; running again cannot mend them."""


@contextmanager
def data_errors_are_final() -> Iterator[None]:
    """Turn a data error into a failure the retry policy leaves alone, keeping its one-line reason."""
    try:
        yield
    except DATA_ERRORS as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise dg.Failure(description=reason, allow_retries=False) from error
