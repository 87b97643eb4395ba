"""What a careless or hostile sender lands: no raw personal data past bronze, no wedged table, formats read right."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from governance.policy import Normalisation
from governance.tokenise import Tokeniser
from lakehouse.ingest import IngestSummary, ingest_all, lake_layout
from lakehouse.landing.land import LandingManifest, weekly_path
from lakehouse.privacy import tokenisation_key
from lakehouse.settings import Settings
from spark_jobs.conform import DUPLICATE_DELIVERY

pytestmark = pytest.mark.integration

WEEK = 20
CANARY = {
    "email": "zq.canary@example.org",
    "phone": "+44 7700 900461",
    "first_name": "Zoë",
    "last_name": "Ñúñez-Öberg",
    "street_address": "9 Canary Wharf Lane",
    "date_of_birth": "2999-01-01",
}
"""A made-up person whose profile breaks a row rule (born in the future), so it is quarantined."""


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, tokenisation_key_file=tmp_path / "secrets" / "key")


def _copy(source: Settings, target: Settings, relative: str) -> Path:
    destination = Path(target.landing_uri) / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(source.landing_uri) / relative, destination)
    return destination


def _week(local_settings: Settings) -> pa.Table:
    return pq.read_table(Path(local_settings.landing_uri) / weekly_path("transactions", WEEK, "parquet"))


def _write(settings: Settings, relative: str, table: pa.Table) -> str:
    destination = Path(settings.landing_uri) / relative
    destination.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, destination)
    return relative


def _profiles(local_settings: Settings) -> list[dict[str, str]]:
    text = (Path(local_settings.landing_uri) / "customers/customers.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _csv(rows: list[dict[str, str]], line_end: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator=line_end, quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _delta_log_text(path: str) -> str:
    return "".join(log.read_text() for log in sorted(Path(path, "_delta_log").glob("*.json")))


def test_a_file_with_an_unclassified_column_is_set_aside_and_never_wedges_the_table(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = _settings(tmp_path)
    _copy(local_settings, settings, "products/products.parquet")
    good = _copy(local_settings, settings, weekly_path("transactions", WEEK, "parquet"))
    week = _week(local_settings)
    noted = week.slice(0, 20).append_column("loyalty_note", pa.array(["call me on 07700 900461"] * 20))
    unclassified = _write(settings, "transactions/extra/noted.parquet", noted)

    first = ingest_all(lambda: spark, settings, ["products", "transactions"]).tables["transactions"]
    (Path(settings.landing_uri) / unclassified).unlink()
    second = ingest_all(lambda: spark, settings, ["transactions"]).tables["transactions"]

    assert first.unreadable[unclassified].startswith(
        "policy: table 'transactions': column(s) 'loyalty_note' not in the PII policy"
    )
    assert first.rows_in == week.num_rows
    bronze = spark.read.format("delta").load(lake_layout(settings).bronze("transactions"))
    assert "loyalty_note" not in bronze.columns
    assert {row["_source_file"] for row in bronze.select("_source_file").distinct().collect()} == {
        str(good.relative_to(settings.landing_uri))
    }
    assert second.unreadable == {} and second.files_new == 0


def test_the_same_lines_sent_twice_are_a_re_delivery_not_a_reason_to_refuse_the_batch(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = _settings(tmp_path)
    _copy(local_settings, settings, "products/products.parquet")
    week = _week(local_settings)
    catalogue = pq.read_table(Path(settings.landing_uri) / "products/products.parquet")["product_id"]
    known = week.filter(pc.is_in(week["product_id"], value_set=catalogue))
    lines = known.slice(0, 20)
    first = _write(settings, "transactions/resent/a.parquet", lines)
    second = _write(settings, "transactions/resent/b.parquet", lines)
    good = _write(settings, "transactions/resent/c.parquet", known.slice(20, 30))

    report = ingest_all(lambda: spark, settings, ["products", "transactions"]).tables["transactions"]

    assert report.unreadable == {}
    assert report.by_rule[DUPLICATE_DELIVERY] == 20
    assert report.rows_in == 70 == report.rows_accepted + report.rows_quarantined
    silver = spark.read.format("delta").load(lake_layout(settings).silver("transactions"))
    assert silver.count() == report.rows_accepted
    quarantine = spark.read.format("delta").load(lake_layout(settings).quarantine("transactions"))
    assert {row["_source_file"] for row in quarantine.collect()} <= {first, second}
    assert good in {row["_source_file"] for row in silver.select("_source_file").distinct().collect()}


def test_lines_silver_already_holds_sent_again_in_a_later_batch_are_a_re_delivery_and_a_changed_line_is_taken(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = _settings(tmp_path)
    _copy(local_settings, settings, "products/products.parquet")
    week = _week(local_settings)
    catalogue = pq.read_table(Path(settings.landing_uri) / "products/products.parquet")["product_id"]
    known = week.filter(pc.is_in(week["product_id"], value_set=catalogue))
    lines = known.slice(0, 20)
    first = _write(settings, "transactions/resent/a.parquet", lines)
    ingest_all(lambda: spark, settings, ["products", "transactions"])
    corrected = lines.slice(0, 1).set_column(5, "sales_value", pc.add(lines.slice(0, 1)["sales_value"], 1.0))
    second = _write(
        settings, "transactions/resent/b.parquet", pa.concat_tables([corrected, lines.slice(1), known.slice(20, 10)])
    )

    report = ingest_all(lambda: spark, settings, ["transactions"]).tables["transactions"]

    assert report.unreadable == {}
    assert report.by_rule == {DUPLICATE_DELIVERY: 19}
    assert report.rows_in == 30 and report.rows_accepted == 11
    silver = spark.read.format("delta").load(lake_layout(settings).silver("transactions"))
    assert silver.count() == 30
    assert silver.where(f"_source_file = '{second}'").count() == 11
    assert silver.where(f"_source_file = '{first}'").count() == 19
    quarantine = spark.read.format("delta").load(lake_layout(settings).quarantine("transactions"))
    assert {(row["_source_file"], row["_rule"]) for row in quarantine.collect()} == {(second, DUPLICATE_DELIVERY)}


def test_a_file_mostly_rejected_is_set_aside_naming_the_rule_and_its_neighbours_go_on(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = _settings(tmp_path)
    _copy(local_settings, settings, "products/products.parquet")
    _copy(local_settings, settings, weekly_path("transactions", WEEK, "parquet"))
    week = _week(local_settings)
    broken = _write(
        settings, "transactions/bad/all_negative.parquet",
        week.set_column(4, "quantity", pc.multiply(week["quantity"], -1)),
    )  # fmt: skip

    # A line of 0 items is the same negated: an exact copy of the good file's line, a re-delivery, not a new row.
    negated = pc.sum(pc.not_equal(week["quantity"], 0)).as_py()

    report = ingest_all(lambda: spark, settings, ["products", "transactions"]).tables["transactions"]

    assert re.fullmatch(
        rf"table rule 'at most 50% of a file's new rows rejected': {negated:,} of {negated:,} rows "
        r"rejected, mostly 'quantity_not_negative' \([\d,]+ rows\); table 'transactions' took the other files of "
        "the batch",
        report.unreadable[broken],
    )
    assert report.rows_in == week.num_rows == report.rows_accepted + report.rows_quarantined
    bronze = spark.read.format("delta").load(lake_layout(settings).bronze("transactions"))
    assert bronze.where(f"_source_file = '{broken}'").count() == 0


def test_a_quarantined_profile_keeps_no_raw_personal_data_and_bronze_keeps_no_statistics_of_it(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = _settings(tmp_path)
    profiles = _profiles(local_settings)
    planted = {**profiles[0], **CANARY, "household_id": "999001"}
    target = Path(settings.landing_uri) / "customers/customers.csv"
    target.parent.mkdir(parents=True)
    target.write_text(_csv([*profiles, planted]), encoding="utf-8")

    report = ingest_all(lambda: spark, settings, ["customers"]).tables["customers"]

    assert report.by_rule == {"born_in_the_past": 1}
    layout = lake_layout(settings)
    [quarantined] = spark.read.format("delta").load(layout.quarantine("customers")).collect()
    record = json.loads(quarantined["_record"])
    tokeniser = Tokeniser(tokenisation_key(settings))
    assert record["email_token"] == tokeniser.tokenise(CANARY["email"], Normalisation.EMAIL)
    assert not {"email", "phone", "first_name", "last_name", "street_address", "date_of_birth"} & set(record)
    kept = quarantined["_record"] + _delta_log_text(layout.quarantine("customers"))
    assert not [value for value in CANARY.values() if value in kept]
    bronze_log = _delta_log_text(layout.bronze("customers"))
    assert not [profile["email"] for profile in profiles if profile["email"] in bronze_log]
    assert CANARY["email"] not in bronze_log


def test_a_csv_with_a_bom_crlf_and_quoted_line_breaks_reads_one_row_per_record(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = _settings(tmp_path)
    profiles = _profiles(local_settings)[:4]
    profiles[1] = {**profiles[1], "street_address": 'Flat 2, "The Old Mill"\r\n14 Mill Lane'}
    target = Path(settings.landing_uri) / "customers/customers.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\xef\xbb\xbf" + _csv(profiles, line_end="\r\n").encode())

    report = ingest_all(lambda: spark, settings, ["customers"]).tables["customers"]

    assert report.unreadable == {}
    assert (report.rows_in, report.rows_accepted) == (4, 4)
    silver = spark.read.format("delta").load(lake_layout(settings).silver("customers"))
    assert sorted(row["household_id"] for row in silver.collect()) == sorted(int(p["household_id"]) for p in profiles)


def test_a_broken_json_line_is_quarantined_as_its_masked_text_and_a_huge_text_as_text_too_long(
    tmp_path: Path, local_settings: Settings, sample_landing: LandingManifest, spark: SparkSession
) -> None:
    settings = _settings(tmp_path).model_copy(update={"max_text_chars": 1_000})
    weekly = sorted(Path(local_settings.landing_uri, "customer_feedback").glob("week_*/*.jsonl"))
    source = max(weekly, key=lambda path: len(path.read_text(encoding="utf-8").splitlines()))
    lines = source.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 2, "two bad rows among fewer good ones would set the whole file aside (mostly rejected)"
    broken = '{"feedback_id": "FB-99999-0", "household_id": 1, "text": "mail zq.canary@example.org", "week":53'
    huge = json.dumps({**json.loads(lines[0]), "feedback_id": "FB-99999-1", "text": "words " * 5_000})
    target = Path(settings.landing_uri) / "customer_feedback" / source.parent.name / source.name
    target.parent.mkdir(parents=True)
    target.write_text("\n".join([*lines, broken, huge]) + "\n", encoding="utf-8")

    report = ingest_all(lambda: spark, settings, ["customer_feedback"]).tables["customer_feedback"]

    assert report.by_rule == {
        "malformed_record: not valid JSON": 1,
        "text_too_long: text over 1,000 characters": 1,
    }
    quarantine = spark.read.format("delta").load(lake_layout(settings).quarantine("customer_feedback"))
    records = {row["_rule"]: json.loads(row["_record"]) for row in quarantine.collect()}
    raw_line = records["malformed_record: not valid JSON"]["_corrupt_record"]
    assert raw_line.startswith('{"feedback_id": "FB-99999-0", "household_id": 1, "text": "mail tok_')
    assert "zq.canary" not in raw_line
    assert records["text_too_long: text over 1,000 characters"]["text_masked"] == (
        "<text of 30,000 characters not kept: over 1,000>"
    )


def test_a_table_no_file_has_arrived_for_gets_an_empty_silver_table_with_the_schema_a_batch_writes(
    tmp_path: Path, local_settings: Settings, ingested_local: IngestSummary, spark: SparkSession
) -> None:
    settings = _settings(tmp_path)
    silver = lake_layout(settings).silver("customer_feedback")

    first = ingest_all(lambda: spark, settings, ["customer_feedback"]).tables["customer_feedback"]
    second = ingest_all(lambda: spark, settings, ["customer_feedback"]).tables["customer_feedback"]

    assert (first.files_seen, first.rows_in, second.files_seen) == (0, 0, 0)
    empty = spark.read.format("delta").load(silver)
    delivered = spark.read.format("delta").load(lake_layout(local_settings).silver("customer_feedback"))
    assert empty.count() == 0 and delivered.count() > 0
    assert empty.schema == delivered.schema
    assert DeltaTable.forPath(spark, silver).history().count() == 1
