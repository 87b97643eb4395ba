"""Which lake tables may hold a household, judged from their Parquet files alone, without a JVM.

Erasure asks Spark only about the tables named here, so a household that no
table holds (unknown, or erased before) is answered without starting Spark.
The test is Spark's own where a key is plain (a whole number, as a number or
as text, in the ``household_id`` column or a quarantined row's JSON record)
and wider where it is not: a key of any other spelling, an unreadable record
or one with escaped characters may hold a household whenever the household's
number appears in its text. Every data file under the table is read, those
of earlier versions as well, which time travel can still read back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import fs

from lakehouse.settings import Settings

HOUSEHOLD_COLUMN = "household_id"
RECORD_COLUMN = "_record"
PLAIN_WHOLE_NUMBER = r"^-?[0-9]{1,18}$"


def _data_files(filesystem: fs.FileSystem, root: str) -> Iterator[str]:
    """Every data file under the table, as Spark lists them: no folder or file whose name starts ``_`` or ``.``."""
    selector = fs.FileSelector(root, recursive=True, allow_not_found=True)
    for info in filesystem.get_file_info(selector):
        inside = info.path.removeprefix(root.rstrip("/") + "/").split("/")
        if info.type == fs.FileType.File and not any(part.startswith(("_", ".")) for part in inside):
            yield info.path


def _column(filesystem: fs.FileSystem, path: str, column: str) -> pa.Array | None:
    """The file's ``column``; None when the file has no such column."""
    with filesystem.open_input_file(path) as source:
        parquet = pq.ParquetFile(source)
        if column not in parquet.schema_arrow.names:
            return None
        return parquet.read(columns=[column], use_threads=False).column(column).combine_chunks()


def keys_may_hold(keys: pa.Array, households: list[int]) -> bool:
    """Whether a ``household_id`` column, typed or as received (text), may hold any of the households."""
    wanted = pa.array(households, pa.int64())
    if pa.types.is_integer(keys.type):
        return bool(pc.any(pc.is_in(keys, value_set=wanted)).as_py())
    texts = pc.utf8_trim_whitespace(pc.cast(keys, pa.string()))
    plain = pc.fill_null(pc.match_substring_regex(texts, PLAIN_WHOLE_NUMBER), False)
    numbers = pc.cast(pc.if_else(plain, texts, pa.scalar(None, pa.string())), pa.int64())
    if pc.any(pc.is_in(numbers, value_set=wanted)).as_py():
        return True
    other = pc.filter(texts, pc.and_(pc.invert(plain), pc.is_valid(texts)))
    return any(pc.any(pc.match_substring(other, str(household))).as_py() for household in households)


def _value_may_be(value: object, households: list[int]) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int):
        return value in households
    if isinstance(value, float):
        return math.isfinite(value) and int(value) in households
    return isinstance(value, str) and keys_may_hold(pa.array([value], pa.string()), households)


def record_may_hold(record: str, households: list[int]) -> bool:
    """Whether a quarantined row's JSON record may name any of the households as its ``household_id``.

    Every ``household_id`` field counts, a repeated or nested one too, its name
    escaped or not; a record that is not JSON counts when the number is in its text.
    """
    if HOUSEHOLD_COLUMN not in record and "\\u" not in record:
        return False
    values: list[object] = []

    def keep(pairs: list[tuple[str, object]]) -> dict[str, object]:
        values.extend(value for key, value in pairs if key == HOUSEHOLD_COLUMN)
        return dict(pairs)

    try:
        json.loads(record, object_pairs_hook=keep)
    except ValueError:
        return any(str(household) in record for household in households)
    return any(_value_may_be(value, households) for value in values)


def may_hold(settings: Settings, table_uri: str, households: list[int], in_json_record: bool = False) -> bool:
    """Whether any data file of the table at ``table_uri`` may hold a row of the households (see the module)."""
    filesystem, root = settings.object_store.filesystem_at(table_uri)
    for path in _data_files(filesystem, root):
        values = _column(filesystem, path, RECORD_COLUMN if in_json_record else HOUSEHOLD_COLUMN)
        if values is None:
            continue
        if in_json_record:
            if any(record_may_hold(record, households) for record in values.to_pylist() if record is not None):
                return True
        elif keys_may_hold(values, households):
            return True
    return False
