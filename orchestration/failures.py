"""How a step fails: retried with backoff when the cause may pass, at once and for good when the data is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from lakehouse.dbt import DbtBuildError
from lakehouse.ingest import MissingLandingFileError
from lakehouse.warehouse import is_serving
from spark_jobs.quality import TableRuleError
from spark_jobs.session import SparkStoppedError

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
"""S3 or the warehouse unreachable, a lost executor: tried again after about 2, 4 and 8 seconds."""


@contextmanager
def data_errors_are_final(warehouse_url: str | None = None) -> Iterator[None]:
    """Turn a data error into a failure the retry policy leaves alone, keeping its one-line reason.

    A table rule or GX suite that breaks, or a week's landing file that is
    missing, is a data error. So is a dbt failure, unless the warehouse at
    ``warehouse_url`` stopped answering meanwhile: then the failure may pass
    and the step is retried. Spark's JVM having stopped (out of heap, say) is
    final too: a retry in the same process would only meet the dead JVM again.
    """
    try:
        yield
    except (TableRuleError, MissingLandingFileError, SparkStoppedError) as error:
        raise dg.Failure(description=str(error).strip().splitlines()[0], allow_retries=False) from error
    except DbtBuildError as error:
        if warehouse_url is not None and not is_serving(warehouse_url):
            raise
        raise dg.Failure(description=f"dbt: {error}", allow_retries=False) from error
