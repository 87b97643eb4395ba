"""The command line as a new user meets it: run, doctor, and failures in one line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakehouse.processes import free_port
from lakehouse.settings import PROJECT_ROOT, Settings
from orchestration.definitions import PLATFORM, build_definitions
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.e2e

LAKEHOUSE = str(Path(sys.executable).with_name("lakehouse"))


WAREHOUSE_URL = f"http://127.0.0.1:{free_port()}"


def _lakehouse(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LAKEHOUSE_DATA_DIR": str(data_dir), "CLICKHOUSE_URL": WAREHOUSE_URL}
    return subprocess.run([LAKEHOUSE, *arguments], capture_output=True, text=True, env=environment, check=False)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, subprocess.CompletedProcess[str]]]:
    """``lakehouse run`` on a four-household sample in a fresh data folder, as a new user runs it."""
    data_dir = tmp_path_factory.mktemp("run")
    yield data_dir, _lakehouse(data_dir, "run", "--households", "4")
    _lakehouse(data_dir, "warehouse", "stop")


def test_run_materialises_every_asset_reporting_each_stage_and_where_to_look(
    first_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, result = first_run

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "ok landing transactions (Parquet, one file per week) (" in result.stdout
    assert "ok ingesting transactions (bronze, silver, weeks 1-53) (" in result.stdout
    assert f"landing:  {data_dir / 'landing'}" in result.stdout
    assert f"silver: {data_dir / 'lake'}/silver/<table>" in result.stdout
    assert f"ok starting the warehouse on {WAREHOUSE_URL}" in result.stdout
    assert "ok registering silver in the warehouse (" in result.stdout
    assert "(dbt_weekly_marts) in " in result.stdout
    platform_assets = PLATFORM.selection.resolve(build_definitions(Settings(data_dir=data_dir)).resolve_asset_graph())
    assert f"{len(platform_assets)} assets materialised" in result.stdout
    assert "`lakehouse up` opens the UI on http://127.0.0.1:3000" in result.stdout
    assert (
        "marts:    databases category, promotions, loyalty, exports; `lakehouse docs` serves their dbt docs"
        in result.stdout
    )
    assert f"SQL:      {WAREHOUSE_URL} as analyst (read-only)" in result.stdout
    assert (data_dir / "lake" / "silver" / "transactions" / "_delta_log").is_dir()
    (log,) = (data_dir / "logs").glob("run-*.log")
    assert f"the run's full log (Spark, dbt, Dagster): {log}" in result.stdout
    assert " START " not in result.stdout, "dbt's own lines belong in the run's log, not on the terminal"
    assert " START test source_has_rows_silver_transactions_ " in log.read_text()


def test_a_second_run_reuses_the_landing_and_writes_nothing(
    first_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, first = first_run

    again = _lakehouse(data_dir, "run", "--households", "4")

    assert again.returncode == 0, again.stdout
    assert "landing already written" in again.stdout
    assert ", 0 written" in again.stdout
    first_log, second_log = (_run_log(run.stdout).read_text() for run in (first, again))
    assert SPARK_STARTED in first_log
    assert SPARK_STARTED not in second_log, "with nothing new to ingest, the run started no Spark"
    ingest = _lakehouse(data_dir, "ingest")
    assert ingest.returncode == 0, ingest.stdout
    assert ingest.stdout.count("   no new files (") == len(TABLES), ingest.stdout
    assert "starting Spark" not in ingest.stdout, "with nothing new to ingest, `lakehouse ingest` started no Spark"


SPARK_STARTED = 'Setting default log level to "WARN"'
"""What a starting Spark JVM writes to the run's log."""


def _run_log(stdout: str) -> Path:
    """The run's full log, from the line that names it."""
    marker = "the run's full log (Spark, dbt, Dagster): "
    (line,) = (line for line in stdout.splitlines() if marker in line)
    return Path(line.split(marker, 1)[1].strip())


def test_doctor_is_all_green_after_a_run(first_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    data_dir, _ = first_run

    doctor = _lakehouse(data_dir, "doctor")

    assert doctor.returncode == 0, doctor.stdout
    lines = doctor.stdout.splitlines()
    assert len(lines) == 7
    assert all(line.startswith("ok ") for line in lines), doctor.stdout


def test_models_train_cuts_the_dataset_from_silver_and_prints_the_model_beside_its_baselines(
    first_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = first_run

    result = _lakehouse(data_dir, "models", "train", "--model", "recommend")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok cutting the recommend dataset from silver" in result.stdout
    assert "households, 1 without consent and 0 erased left out" in result.stdout
    assert "ok training recommend (local runner, SageMaker's /opt/ml layout)" in result.stdout
    for model in ("als", "popularity", "popularity_by_retailer", "item_item", "buy_again"):
        assert re.search(rf"^   {model} +precision@10 [01]\.\d{{4}}  recall@10 ", result.stdout, re.MULTILINE), model
    assert re.search(
        r"^   retail-recommend version 1 (promoted to champion|kept as a challenger; the champion keeps serving):\n"
        r"     test\.als\.precision [01]\.\d{4} (>|is not above) 1\.2 x test\.popularity\.precision",
        result.stdout,
        re.MULTILINE,
    ), result.stdout
    (job,) = (data_dir / "ml" / "jobs").glob("recommend-*")
    assert (job / "output" / "model.tar.gz").is_file()
    assert f"metrics: {job / 'output' / 'data' / 'metrics.json'}" in result.stdout
    (manifest,) = (data_dir / "ml" / "datasets" / "recommend").glob("*/manifest.json")
    assert json.loads(manifest.read_text())["households"]["without_consent"] == 1
    _evaluate_list_and_score_the_recommender(data_dir, promoted="version 1 promoted to champion" in result.stdout)


def _evaluate_list_and_score_the_recommender(data_dir: Path, promoted: bool) -> None:
    """What a data scientist does next: the picture, the registry, and the scores (only a champion scores)."""
    evaluated = _lakehouse(data_dir, "models", "evaluate", "--model", "recommend")
    listed = _lakehouse(data_dir, "models", "list")
    scored = _lakehouse(data_dir, "models", "score", "--model", "recommend")

    assert evaluated.returncode == 0, evaluated.stdout + evaluated.stderr
    picture = data_dir / "ml" / "reports" / "retail-recommend" / "v1" / "precision_at_k.png"
    assert f"picture: {picture}" in evaluated.stdout and picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert re.search(r"^   v1   (champion  |challenger) ", listed.stdout, re.MULTILINE), listed.stdout
    if promoted:
        assert scored.returncode == 0, scored.stdout + scored.stderr
        assert re.search(r"^   [\d,]+ rows for [\d,]+ households by version 1$", scored.stdout, re.MULTILINE)
        assert "warehouse: SELECT * FROM ml.household_recommendations" in scored.stdout
    else:
        assert scored.returncode == 1
        assert "error retail-recommend has no champion: no version has beaten its baselines yet" in scored.stdout
    assert "Traceback" not in scored.stdout + scored.stderr


def test_a_model_that_cannot_train_on_its_dataset_fails_in_one_line_and_packs_nothing(
    first_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = first_run

    result = _lakehouse(data_dir, "models", "train", "--model", "offer_response")

    assert result.returncode == 1
    (error,) = (line for line in result.stdout.splitlines() if line.startswith("error "))
    assert re.match(
        r"error training job offer-response-[0-9a-f]{12}-\d{14} failed: hyperparameter (test|validation)_campaigns: "
        r"\d+ leaves no campaign to fit on \(\d+ campaigns\) \(log: .*training.log\)$",
        error,
    ), error
    assert "Traceback" not in result.stdout + result.stderr
    assert not list((data_dir / "ml" / "jobs").glob("offer-response-*/output/model.tar.gz"))
    listed = _lakehouse(data_dir, "models", "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "retail-offer-response: 0 version(s); primary metric test.lightgbm.pr_auc" in listed.stdout


def _first_household(data_dir: Path) -> int:
    header, first = (data_dir / "landing" / "customers" / "customers.csv").read_text().splitlines()[:2]
    return int(first.split(",")[header.split(",").index('"household_id"')])


def test_models_train_on_sagemaker_without_its_settings_is_refused_in_one_line_before_any_dataset_is_cut(
    tmp_path: Path,
) -> None:
    environment = {**os.environ, "LAKEHOUSE_DATA_DIR": str(tmp_path), "ML_BACKEND": "sagemaker"}
    result = subprocess.run(
        [LAKEHOUSE, "models", "train"], capture_output=True, text=True, env=environment, check=False
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "error ML_BACKEND=sagemaker needs LAKEHOUSE_SAGEMAKER_ROLE_ARN, LAKEHOUSE_SAGEMAKER_IMAGE_URI, "
        "LAKEHOUSE_ML_S3_URI; nothing was launched"
    ) in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "ml").exists()


def test_erasing_an_unknown_household_answers_in_one_line_and_exits_1(
    first_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = first_run

    result = _lakehouse(data_dir, "erase", "--household", "987654321")

    assert result.returncode == 1, result.stdout
    assert (
        "unknown household 987654321: in no landing file, lake table or mart, and never erased; nothing was changed"
        in result.stdout
    )
    assert "ok searching the files of 25 lake tables in " in result.stdout
    assert "starting Spark" not in result.stdout, "no lake file holds the household: Spark has nothing to do"


def test_a_bad_requests_file_is_refused_naming_the_line_before_anything_is_erased(
    first_run: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    data_dir, _ = first_run
    requests = tmp_path / "requests.csv"
    requests.write_text("household_id\n12x\n")

    result = _lakehouse(data_dir, "erase", "--requests", str(requests))

    assert result.returncode == 1
    assert f"error {requests}: line 2: field household_id '12x' is not a positive whole number" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_erase_prints_a_receipt_the_audit_lists_it_and_the_scan_stays_clean(
    first_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    data_dir, _ = first_run
    household = _first_household(data_dir)

    erased = _lakehouse(data_dir, "erase", "--household", str(household), "--by", "dpo@retailer", "--reference", "T-9")
    audit = _lakehouse(data_dir, "audit")
    scan = _lakehouse(data_dir, "pii-scan")

    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert f"erased household {household}: rows removed: landing " in erased.stdout
    assert "receipt: " in erased.stdout
    assert audit.returncode == 0, audit.stdout
    actions = {line.split()[1] for line in audit.stdout.splitlines() if line[:2] == "20"}
    assert actions == {"policy_change", "pipeline_run", "erasure"}
    assert "dpo@retailer" in audit.stdout
    assert scan.returncode == 0, scan.stdout
    assert "clean: no raw personal data" in scan.stdout


def test_doctor_names_the_fix_for_what_is_missing(tmp_path: Path) -> None:
    doctor = _lakehouse(tmp_path, "doctor")

    assert doctor.returncode == 1
    assert f"FAIL landing      nothing landed at {tmp_path / 'landing'}" in doctor.stdout
    assert "fix: lakehouse land" in doctor.stdout


def test_a_failure_is_one_line_and_a_log_file_without_a_stack_trace(tmp_path: Path) -> None:
    result = _lakehouse(tmp_path, "land", "--households", "5000")

    assert result.returncode == 1
    assert result.stdout.splitlines()[-2] == "error --households 5000: the data holds only 2469 households"
    assert "Traceback" not in result.stdout + result.stderr
    log = Path(result.stdout.splitlines()[-1].split("details: ")[1].split(" (or")[0])
    assert "Traceback" in log.read_text()


def test_make_stops_at_once_naming_a_missing_tool(tmp_path: Path) -> None:
    bare_path = tmp_path / "bin"
    bare_path.mkdir()
    for tool in ("make", "bash", "sh"):
        located = shutil.which(tool)
        assert located is not None
        (bare_path / tool).symlink_to(located)

    result = subprocess.run(
        ["make", "--no-print-directory", "jars"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, env={"PATH": str(bare_path)}, check=False,
    )  # fmt: skip

    assert result.returncode != 0
    assert result.stdout.strip() == "missing tool: java (Java 17+). Install: apt-get install -y openjdk-17-jdk-headless"


def test_pii_eval_prints_every_entity_and_meets_the_targets(tmp_path: Path) -> None:
    result = _lakehouse(tmp_path, "pii-eval", "--size", "200")

    assert result.returncode == 0, result.stdout
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()}
    for entity in ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "LOYALTY_CARD", "POSTCODE"):
        precision, recall = float(rows[entity][4]), float(rows[entity][5])
        assert 0.0 <= precision <= 1.0 and 0.0 <= recall <= 1.0
    for entity in ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "UK_NINO", "US_SSN", "IP_ADDRESS"):
        assert float(rows[entity][5]) >= 0.95, entity
    for entity in ("IBAN_CODE", "UK_NINO", "US_SSN", "IP_ADDRESS"):
        assert int(rows[entity][1]) >= 30, f"{entity}: too few labelled values to measure recall"
    assert float(rows["PERSON"][5]) >= 0.85
    assert "all targets met" in result.stdout


def test_policy_export_writes_the_classification_of_every_silver_column(tmp_path: Path) -> None:
    output = tmp_path / "classification.json"

    result = _lakehouse(tmp_path, "policy-export", "--output", str(output))

    assert result.returncode == 0, result.stdout
    exported = json.loads(output.read_text())
    assert exported["customers"]["loyalty_card_token"]["pseudonymous_token"] is True
    assert set(exported) >= {"transactions", "customers", "customer_feedback", "stores"}


def test_ingest_attempts_every_table_and_ends_listing_the_files_it_set_aside(tmp_path: Path) -> None:
    landed = _lakehouse(tmp_path, "land", "--households", "2")
    stores = tmp_path / "landing" / "stores"
    mostly_broken = (
        '"store_id","retailer_id","retailer_name","country"\n300,"R03","N","GB"\n,"R04","x","US"\n,,"y","US"\n'
    )
    (stores / "resent.csv").write_text(mostly_broken)
    (stores / "[bold]renamed.csv").write_text(mostly_broken)

    result = _lakehouse(tmp_path, "ingest")

    assert landed.returncode == 0, landed.stdout
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    ingested = [line.split()[2] for line in lines if line.startswith("ok ingesting ")]
    assert ingested == list(TABLES)
    assert (
        "error ingestion incomplete: 0 table(s) failed, 2 landing file(s) set aside; every other table and file "
        "was ingested" in lines
    )
    assert (
        "   set aside: stores/resent.csv: table rule 'at most 50% of a file's new rows rejected': 2 of 3 rows "
        "rejected, mostly 'not_null: store_id, retailer_id' (2 rows); table 'stores' took the other files of the "
        "batch" in lines
    )
    assert "   set aside: stores/[bold]renamed.csv: file name: holds a glob character" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
