"""How a step fails: retried with backoff when the cause may pass, at once and for good when the data is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from lakehouse.dbt import DbtBuildError
from lakehouse.ingest import MissingLandingFileError
from lakehouse.model_promotion import NoChampionError
from lakehouse.settings import Settings
from lakehouse.warehouse import is_serving
from spark_jobs.quality import TableRuleError
from spark_jobs.session import stopped_jvm

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
"""S3 or the warehouse unreachable, a lost executor: tried again after about 2, 4 and 8 seconds."""


@contextmanager
def data_errors_are_final(warehouse_url: str | None = None, spark_of: Settings | None = None) -> Iterator[None]:
    """Turn a data error into a failure the retry policy leaves alone, keeping its one-line reason.

    A table rule or GX suite that breaks, a week's landing file that is
    missing, or a model with no champion to score, is a data error. So is a dbt failure, unless the warehouse at
    ``warehouse_url`` stopped answering meanwhile: then the failure may pass
    and the step is retried. Any failure after the Spark JVM of a step using
    Spark (``spark_of`` its settings) died, out of heap say, is final too, and
    says why: a retry in the same process would only meet the dead JVM again.
    """
    try:
        yield
    except (TableRuleError, MissingLandingFileError, NoChampionError) as error:
        raise dg.Failure(description=str(error).strip().splitlines()[0], allow_retries=False) from error
    except DbtBuildError as error:
        if warehouse_url is not None and not is_serving(warehouse_url):
            raise
        raise dg.Failure(description=f"dbt: {error}", allow_retries=False) from error
    except Exception as error:
        if spark_of is not None and (reason := stopped_jvm(spark_of)) is not None:
            raise dg.Failure(description=reason, allow_retries=False) from error
        raise
