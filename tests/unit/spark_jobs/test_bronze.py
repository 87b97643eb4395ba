"""Bronze reads a landing file as its format defines it, every value a string, and unites files by column name.

Files of one layout are read in one pass and each row keeps its own file, whatever the file is named.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import Row, SparkSession
from pyspark.testing import assertDataFrameEqual

from lakehouse.ingest import landing_files
from lakehouse.landing.storage import landing_store
from lakehouse.settings import Settings
from spark_jobs.bronze import CORRUPT_RECORD, bronze_batch, read_landing_file
from spark_jobs.landing_files import LandingFile
from spark_jobs.tables import TABLES

pytestmark = pytest.mark.unit


def _file(path: Path, table: str, unreadable: str | None = None) -> LandingFile:
    return LandingFile(table, f"{table}/{path.name}", str(path), "0" * 64, path.stat().st_size, unreadable=unreadable)


def test_a_csv_with_a_bom_crlf_and_a_quoted_line_break_is_one_row_per_record(
    spark: SparkSession, tmp_path: Path
) -> None:
    landed = tmp_path / "stores.csv"
    landed.write_bytes(
        b"\xef\xbb\xbfstore_id,retailer_id,retailer_name,country\r\n"
        b'1,R01,"North, ""upper""\r\nfloor",GB\r\n'
        b"2,R02,South,US\r\n"
    )

    frame = read_landing_file(spark, _file(landed, "stores"), TABLES["stores"])

    assert frame.columns == ["store_id", "retailer_id", "retailer_name", "country"]
    assertDataFrameEqual(
        frame,
        [
            Row(store_id="1", retailer_id="R01", retailer_name='North, "upper"\nfloor', country="GB"),
            Row(store_id="2", retailer_id="R02", retailer_name="South", country="US"),
        ],
    )


def test_a_broken_json_line_keeps_its_text_and_the_lines_around_it_are_read(
    spark: SparkSession, tmp_path: Path
) -> None:
    landed = tmp_path / "feedback.jsonl"
    landed.write_text('{"feedback_id": "f1", "rating": 5}\n{"feedback_id": "f2", "rat\n{"feedback_id": "f3"}\n')

    frame = read_landing_file(spark, _file(landed, "customer_feedback"), TABLES["customer_feedback"])

    rows = {row["feedback_id"]: (row["rating"], row[CORRUPT_RECORD]) for row in frame.collect()}
    assert rows == {"f1": ("5", None), None: (None, '{"feedback_id": "f2", "rat'), "f3": (None, None)}


def test_a_batch_unites_files_by_column_name_with_their_metadata_and_leaves_an_unreadable_file_out(
    spark: SparkSession, tmp_path: Path
) -> None:
    first, second, broken = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    first.write_text("store_id,retailer_id,retailer_name,country\n1,R01,North,GB\n")
    second.write_text("country,store_id,retailer_id\nUS,2,R02\n")
    broken.write_text("not read\n")
    at = datetime(2026, 12, 1, 9)
    files = [_file(first, "stores"), _file(second, "stores"), _file(broken, "stores", unreadable="truncated")]

    batch = bronze_batch(spark, files, TABLES["stores"], "batch-1", at)

    assert batch is not None
    assertDataFrameEqual(
        batch.select("store_id", "retailer_name", "country", "_source_file", "_batch_id", "_ingested_at"),
        [
            Row(store_id="1", retailer_name="North", country="GB", _source_file="stores/a.csv", _batch_id="batch-1",
                _ingested_at=at),
            Row(store_id="2", retailer_name=None, country="US", _source_file="stores/b.csv", _batch_id="batch-1",
                _ingested_at=at),
        ],
    )  # fmt: skip


def test_files_of_one_layout_are_read_in_one_pass_each_row_keeping_its_own_file_and_checksum(
    spark: SparkSession, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path)
    names = ["week 01.parquet", "[a]b.parquet", "ü%20+b.parquet"]
    folder = Path(settings.landing_uri) / "products"
    folder.mkdir(parents=True)
    for number, name in enumerate(names):
        pq.write_table(pa.table({"product_id": [number], "department": [f"dept {number}"]}), folder / name)
    odd = folder / "odd types.parquet"
    pq.write_table(pa.table({"product_id": ["x9"], "brand": ["B"]}), odd)
    files = landing_files(landing_store(settings), TABLES["products"])
    at = datetime(2026, 12, 1, 9)

    batch = bronze_batch(spark, files, TABLES["products"], "batch-2", at)

    assert batch is not None
    checksums = {file.relative_path: file.checksum for file in files}
    assertDataFrameEqual(
        batch.select("product_id", "department", "brand", "_source_file", "_source_checksum", "_batch_id"),
        [
            *(Row(product_id=str(number), department=f"dept {number}", brand=None, _source_file=f"products/{name}",
                  _source_checksum=checksums[f"products/{name}"], _batch_id="batch-2")
              for number, name in enumerate(names)),
            Row(product_id="x9", department=None, brand="B", _source_file="products/odd types.parquet",
                _source_checksum=checksums["products/odd types.parquet"], _batch_id="batch-2"),
        ],
    )  # fmt: skip
