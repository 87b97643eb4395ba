"""The benchmark stages. Each has an untimed ``prepare`` and a timed ``run``, in one fresh process.

A stage named in ``BASELINES`` is compared with the plain-tool stage given
there, run in the same ``make bench`` on the same machine. Stages that need
the full landing share one under ``bench/.data`` (reused while unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bench.api_load import api_under_load, prepare_api_load
from bench.common import Outcome, Stage, bench_settings
from bench.dbt_marts import dbt_build_full, dbt_run_marts, duckdb_marts, prepare_duckdb, prepare_warehouse
from bench.warehouse import (
    endpoint_queries,
    in_process_queries,
    ping_during_long_query,
    prepare_endpoint,
    prepare_in_process,
    prepare_silver,
    scratch_platform,
    train_champion,
)
from bench.warehouse_rows import prepare_endpoint as prepare_rows_endpoint
from bench.warehouse_rows import prepare_in_process as prepare_rows_in_process
from bench.warehouse_rows import (
    prepare_jdbc,
    rows_endpoint_compressed,
    rows_in_process,
    rows_jdbc,
)
from governance.masking import TextMasker
from lakehouse.landing import complete_journey
from lakehouse.landing.land import land_sources
from lakehouse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from ml.jobs import Model

CUSTOMER_COPIES = 20
"""The customers table is 2,469 rows; twenty copies (new household ids) make Spark's fixed costs small."""


def _nothing(scratch: Path) -> Path:
    return scratch


def landing_full(scratch: Path) -> int:
    """The full landing step: every feed of the real data plus the synthetic PII, split by week."""
    manifest = land_sources(Settings(data_dir=scratch), force=True)
    return sum(manifest.files.values())


def landing_pyarrow_copy(scratch: Path) -> int:
    """Baseline: read the same eight tables with pyarrow and write each as one Parquet file."""
    target = scratch / "copy"
    target.mkdir(parents=True, exist_ok=True)
    rows = 0
    for name in complete_journey.TABLES:
        table = complete_journey.read_table(name)
        pq.write_table(table, target / f"{name}.parquet", compression="zstd", coerce_timestamps="us")
        rows += table.num_rows
    return rows


def prepare_feedback(scratch: Path) -> tuple[TextMasker, list[str]]:
    """The full landing's feedback texts and a warm masker, as silver ingestion would hold them."""
    from lakehouse.landing.feedback import synthetic_feedback
    from lakehouse.privacy import deployment_masker

    settings = bench_settings()
    land_sources(settings)
    transactions = complete_journey.read_table("transactions").select(["household_id", "week"])
    customers = pacsv.read_csv(Path(settings.landing_uri) / "customers" / "customers.csv")
    texts = [text.text for text in synthetic_feedback(transactions, customers, settings.synthetic_seed)]
    masker = deployment_masker(settings)
    masker.mask("warm up the spaCy pipeline, Ann Lee")
    return masker, texts


def masking_throughput(prepared: tuple[TextMasker, list[str]]) -> int:
    masker, texts = prepared
    for text in texts:
        masker.mask(text)
    return len(texts)


def prepare_customers(scratch: Path) -> tuple[Settings, DataFrame, str]:
    from pyspark.sql.functions import col

    from spark_jobs.session import build_spark_session

    settings = bench_settings()
    land_sources(settings)
    spark = build_spark_session(settings, app_name="bench")
    landed = (
        spark.read.option("header", True)
        .option("inferSchema", True)
        .csv(f"{settings.landing_uri}/customers/customers.csv")
    )
    copies = [
        landed.withColumn("household_id", col("household_id") + copy * 1_000_000) for copy in range(CUSTOMER_COPIES)
    ]
    customers = copies[0]
    for copy in copies[1:]:
        customers = customers.unionByName(copy)
    customers = customers.cache()
    customers.count()
    return settings, customers, str(scratch / "customers")


def customers_delta_copy(prepared: tuple[Settings, DataFrame, str]) -> int:
    _, customers, target = prepared
    customers.write.format("delta").mode("overwrite").save(target)
    return int(customers.count())


def customers_policy_applied(prepared: tuple[Settings, DataFrame, str]) -> int:
    from governance.policy import default_policy
    from lakehouse.privacy import tokenisation_key
    from spark_jobs.pii import apply_policy

    settings, customers, target = prepared
    silver = apply_policy(customers, "customers", default_policy(), tokenisation_key(settings), settings.presidio_model)
    silver.write.format("delta").mode("overwrite").save(target)
    return int(customers.count())


def prepare_lake(scratch: Path) -> tuple[Any, Settings]:
    """The shared full landing, a warm Spark session, and a fresh lake in the scratch folder."""
    from spark_jobs.session import build_spark_session

    shared = bench_settings()
    land_sources(shared)
    settings = Settings(
        data_dir=scratch, landing_uri=shared.landing_uri, tokenisation_key_file=shared.tokenisation_key_file
    )
    spark = build_spark_session(settings, app_name="bench")
    spark.range(1).count()
    return spark, settings


def lake_ingest_full(prepared: tuple[Any, Settings]) -> Outcome:
    """Bronze and silver of every table of the full data, as `lakehouse ingest` runs it."""
    from lakehouse.ingest import ingest_all

    spark, settings = prepared
    summary = ingest_all(lambda: spark, settings)
    detail = {
        table: {
            "rows_in": report.rows_in,
            "rows_accepted": report.rows_accepted,
            "rows_quarantined": report.rows_quarantined,
            "seconds": round(report.seconds, 1),
            "rows_per_s": round(report.rows_in / report.seconds) if report.seconds else 0,
            "in_equals_silver_plus_quarantine": report.rows_in == report.rows_accepted + report.rows_quarantined,
        }
        for table, report in summary.tables.items()
    }
    return Outcome(sum(report.rows_in for report in summary.tables.values()), detail)


def lake_pyarrow_baseline(prepared: tuple[Any, Settings]) -> int:
    """Baseline: pyarrow reads the same landing files and writes one Parquet file per table."""
    import pyarrow.dataset as ds

    _, settings = prepared
    formats = {"customers": "csv", "stores": "csv", "customer_feedback": "json"}
    target = settings.data_dir / "pyarrow"
    target.mkdir(parents=True, exist_ok=True)
    rows = 0
    for feed in sorted(path.name for path in Path(settings.landing_uri).iterdir() if path.is_dir()):
        table = ds.dataset(Path(settings.landing_uri) / feed, format=formats.get(feed, "parquet")).to_table()
        pq.write_table(table, target / f"{feed}.parquet", compression="zstd")
        rows += table.num_rows
    return rows


def prepare_ml_lake(scratch: Path) -> Settings:
    """The shared full silver lake; datasets and training jobs in the scratch folder."""
    return prepare_silver(scratch).model_copy(update={"data_dir": scratch})


def ml_datasets(settings: Settings) -> Outcome:
    """Both models' datasets cut from the full silver, consent and the erasure register applied."""
    from lakehouse.ml_datasets import extract_dataset
    from ml.jobs import MODELS

    detail: dict[str, Any] = {}
    rows = 0
    for model in MODELS:
        manifest = extract_dataset(settings, model).manifest
        channels = {name: int(channel["rows"]) for name, channel in manifest.channels.items()}
        detail[model] = {"channels": channels, **manifest.households}
        rows += sum(channels.values())
    return Outcome(rows, detail)


def _prepare_training(model: Model) -> Callable[[Path], tuple[Settings, Any]]:
    def prepare(scratch: Path) -> tuple[Settings, Any]:
        from lakehouse.ml_datasets import extract_dataset

        settings = prepare_ml_lake(scratch)
        return settings, extract_dataset(settings, model)

    return prepare


def ml_training(prepared: tuple[Settings, Any]) -> Outcome:
    """One model trained on its full dataset by the local runner (the entry point in a child process)."""
    from lakehouse.models import train_on

    settings, dataset = prepared
    outcome = train_on(settings, dataset.manifest.model, dataset)
    rows = sum(channel["rows"] for channel in dataset.manifest.channels.values())
    return Outcome(rows, {"test": outcome.metrics["test"], "seconds_in_entry_point": outcome.metrics["seconds"]})


def _prepare_scoring(model: Model) -> Callable[[Path], tuple[Settings, Model]]:
    def prepare(scratch: Path) -> tuple[Settings, Model]:
        """A warehouse over the full silver, and the model trained and registered (champion in a new registry)."""
        settings = scratch_platform(scratch)
        train_champion(settings, model)
        return settings, model

    return prepare


def ml_scoring(prepared: tuple[Settings, Model]) -> Outcome:
    """The champion scores every eligible household into gold Delta and the warehouse's ml database."""
    from lakehouse.model_scoring import score_model

    settings, model = prepared
    scored = score_model(settings, model)
    return Outcome(scored.rows, {"households": scored.households, "warehouse_table": scored.warehouse_table})


STAGES: dict[str, Stage] = {
    "landing_pyarrow_copy": Stage(_nothing, landing_pyarrow_copy, "pyarrow copy of the eight tables"),
    "landing_full": Stage(_nothing, landing_full, "full landing, split by week, with synthetic PII"),
    "masking_feedback": Stage(prepare_feedback, masking_throughput, "Presidio masking, one core; rows/s = texts/s"),
    "customers_delta_copy": Stage(prepare_customers, customers_delta_copy, "customers x20 written to Delta as is"),
    "customers_policy": Stage(prepare_customers, customers_policy_applied, "customers x20, PII policy, to Delta"),
    "lake_pyarrow_baseline": Stage(prepare_lake, lake_pyarrow_baseline, "pyarrow reads landing, writes Parquet"),
    "lake_ingest_full": Stage(prepare_lake, lake_ingest_full, "bronze + silver of the full data (Spark, Delta)"),
    "warehouse_in_process": Stage(prepare_in_process, in_process_queries, "4 queries on silver x3, chDB in-process"),
    "warehouse_endpoint": Stage(prepare_endpoint, endpoint_queries, "the same queries over the HTTP endpoint"),
    "warehouse_ping_busy": Stage(prepare_endpoint, ping_during_long_query, "/ping during a long query; rows = pings"),
    "rows_in_process": Stage(prepare_rows_in_process, rows_in_process, "100k and 1M-row answers x5, chDB in-process"),
    "rows_endpoint_compress": Stage(prepare_rows_endpoint, rows_endpoint_compressed, "the same over HTTP, compress=1"),
    "rows_jdbc": Stage(prepare_jdbc, rows_jdbc, "the same read row by row by the JDBC driver (default URL)"),
    "marts_duckdb": Stage(prepare_duckdb, duckdb_marts, "the marts' SQL in DuckDB over silver Parquet"),
    "marts_dbt_run": Stage(prepare_warehouse, dbt_run_marts, "dbt run --full-refresh: the marts only"),
    "marts_dbt_build": Stage(prepare_warehouse, dbt_build_full, "dbt build --full-refresh: marts + 157 tests"),
    "ml_datasets": Stage(prepare_ml_lake, ml_datasets, "both models' datasets cut from the full silver"),
    "ml_train_recommend": Stage(_prepare_training("recommend"), ml_training, "recommender: tuning, fit, baselines"),
    "ml_train_offer_response": Stage(
        _prepare_training("offer_response"), ml_training, "offer response: LightGBM tuned, logistic baseline"
    ),
    "ml_score_recommend": Stage(
        _prepare_scoring("recommend"), ml_scoring, "the recommender's champion: top 10 per household, gold + warehouse"
    ),
    "ml_score_offer_response": Stage(
        _prepare_scoring("offer_response"), ml_scoring, "the offer champion: every targeted pair, gold + warehouse"
    ),
    "api_load": Stage(
        prepare_api_load, api_under_load, "the API at 500 requests/s, 60 s per route, vs bare uvicorn; rows = requests"
    ),
}

BASELINES: dict[str, str] = {
    "landing_full": "landing_pyarrow_copy",
    "customers_policy": "customers_delta_copy",
    "lake_ingest_full": "lake_pyarrow_baseline",
    "warehouse_endpoint": "warehouse_in_process",
    "rows_endpoint_compress": "rows_in_process",
    "rows_jdbc": "rows_in_process",
    "marts_dbt_run": "marts_duckdb",
    "marts_dbt_build": "marts_duckdb",
}
