"""Quality gates: a Great Expectations suite per silver table, run on each batch before it is committed.

The suites follow the table declarations (keys present and unique, values in
range). Results are kept as JSON per run in a file-backed GX project, from
which ``build_data_docs`` renders GX Data Docs. A failed expectation is a
table rule: the batch is not committed and the error says which rule, which
files and how many rows.

Great Expectations is imported where a gate runs, not with this module: it
takes seconds to import, and every process that loads the Dagster code
location (the webserver's code server, the daemon) imports this module.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from spark_jobs.tables import TableSpec

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import PandasDatasource, SparkDatasource
    from great_expectations.expectations.expectation import Expectation
    from pyspark.sql import DataFrame

DATASOURCE = "silver_batches"
IN_MEMORY_DATASOURCE = "silver_batches_in_memory"
IN_MEMORY_ROWS = 250_000
"""A batch up to this many rows is validated in pandas after one collect. GX's Spark engine runs a Spark job
per metric (13 for a suite): seconds of fixed cost per table that a small batch does not need."""


@dataclass(frozen=True)
class GateResult:
    success: bool
    failed_rules: tuple[str, ...]
    result_id: str


class TableRuleError(RuntimeError):
    """A batch broke a table rule and was not committed; ``gate`` holds the GX verdict when the suite broke."""

    def __init__(self, message: str, gate: GateResult | None = None) -> None:
        super().__init__(message)
        self.gate = gate


def suite_expectations(spec: TableSpec) -> list[Expectation]:
    from great_expectations import expectations as gxe

    expectations: list[Expectation] = [gxe.ExpectColumnValuesToNotBeNull(column=key) for key in spec.keys]
    if len(spec.keys) == 1:
        expectations.append(gxe.ExpectColumnValuesToBeUnique(column=spec.keys[0]))
    else:
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(spec.keys)))
    for column, (low, high) in spec.ranges.items():
        expectations.append(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    return expectations


def suite_fingerprint(spec: TableSpec) -> str:
    """What the table's suite is made of: its declared keys and ranges, and the code that makes them expectations."""
    made_of = [inspect.getsource(suite_expectations), list(spec.keys), sorted(spec.ranges.items())]
    return hashlib.sha256(json.dumps(made_of).encode()).hexdigest()[:16]


def verdicts_dir(project_dir: Path) -> Path:
    """Where the GX project in ``project_dir`` keeps the suites' last verdicts on silver."""
    return project_dir / "verdicts"


def _verdict_file(project_dir: Path, spec: TableSpec, snapshot: str) -> Path:
    """One kept verdict per table, by Delta table id as well as name: two lakes sharing a data folder keep theirs."""
    table_id = snapshot.split("@", 1)[0]
    return verdicts_dir(project_dir) / spec.name / f"{table_id}.json"


def kept_verdict(project_dir: Path, spec: TableSpec, snapshot: str) -> GateResult | None:
    """The suite's last verdict on silver if it was given on ``snapshot`` (a table id, Delta version and scope).

    The same snapshot holds the same rows, so the same suite gives the same
    verdict: a run with nothing new does not validate again.
    """
    kept = _verdict_file(project_dir, spec, snapshot)
    if not kept.exists():
        return None
    record = json.loads(kept.read_text())
    if (record["snapshot"], record["suite"]) != (snapshot, suite_fingerprint(spec)):
        return None
    return GateResult(record["success"], tuple(record["failed_rules"]), record["result_id"])


def keep_verdict(project_dir: Path, spec: TableSpec, snapshot: str, gate: GateResult) -> None:
    kept = _verdict_file(project_dir, spec, snapshot)
    kept.parent.mkdir(parents=True, exist_ok=True)
    record = {"snapshot": snapshot, "suite": suite_fingerprint(spec), **asdict(gate)}
    written = kept.with_suffix(".tmp")
    written.write_text(json.dumps(record))
    written.replace(kept)


@lru_cache(maxsize=4)
def quality_context(project_dir: Path) -> AbstractDataContext:
    """The file-backed GX project holding suites, per-run validation results (JSON) and Data Docs."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    project_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(project_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.variables.save()
    return context


def run_gate(
    project_dir: Path, spec: TableSpec, batch: DataFrame, run_name: str, in_memory_rows: int = IN_MEMORY_ROWS
) -> GateResult:
    """Validate one accepted batch against the table's suite and keep the result.

    The same suite judges a batch of up to ``in_memory_rows`` rows in pandas, a larger one in Spark.
    """
    from great_expectations.checkpoint import Checkpoint
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.core.validation_definition import ValidationDefinition

    context = quality_context(project_dir)
    head = batch.limit(in_memory_rows + 1).toArrow()
    source: PandasDatasource | SparkDatasource
    if head.num_rows <= in_memory_rows:
        source = context.data_sources.add_or_update_pandas(name=IN_MEMORY_DATASOURCE)
        dataframe: object = head.to_pandas()
    else:
        source = context.data_sources.add_or_update_spark(name=DATASOURCE)
        dataframe = batch
    asset = next((asset for asset in source.assets if asset.name == spec.name), None) or source.add_dataframe_asset(
        name=spec.name
    )
    definition = next(
        (definition for definition in asset.batch_definitions if definition.name == "batch"), None
    ) or asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add_or_update(
        ExpectationSuite(name=f"{spec.name}_silver", expectations=suite_expectations(spec))
    )
    validation = context.validation_definitions.add_or_update(
        ValidationDefinition(name=f"{spec.name}_silver_batch", data=definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        Checkpoint(name=f"{spec.name}_silver_gate", validation_definitions=[validation], result_format="SUMMARY")
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": dataframe}, run_id=RunIdentifier(run_name=run_name))
    failed: list[str] = []
    result_id = ""
    for identifier, run in outcome.run_results.items():
        result_id = str(identifier)
        for result in run.results:
            if not result.success:
                config = result.expectation_config
                kwargs = {k: v for k, v in (config.kwargs if config else {}).items() if k != "batch_id"}
                failed.append(f"{config.type if config else 'expectation'} {kwargs}")
    return GateResult(bool(outcome.success), tuple(failed), result_id)


def build_data_docs(project_dir: Path) -> Path:
    """Render GX Data Docs from every kept validation result; returns the index page."""
    context = quality_context(project_dir)
    context.build_data_docs()
    return project_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
