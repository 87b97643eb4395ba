"""Silver's pure steps: type bronze strings, judge every row against the table's rules, resolve duplicates.

Each function takes and returns DataFrames; a row's verdict is the ``_rule``
column: null when it is accepted, else the first rule it broke. Nothing is
dropped here: the caller splits accepted rows from quarantined ones, so
``rows in = rows accepted + rows quarantined`` holds by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import reduce
from operator import and_

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql.functions import (
    broadcast,
    coalesce,
    col,
    expr,
    first,
    length,
    lit,
    row_number,
    sha2,
    struct,
    to_json,
    when,
)
from pyspark.sql.types import DataType, DecimalType

from spark_jobs.bronze import CORRUPT_RECORD, METADATA_COLUMNS
from spark_jobs.tables import WEEK_OF_DATE, TableSpec

RULE = "_rule"
DUPLICATE_DELIVERY = "duplicate_delivery: an exact copy of a row another landing file delivered"
"""Not a broken row but the same line sent again: it never counts against its file."""
REPLACEMENT_CHARACTER = "\ufffd"
ROW_IDENTITY = "_row_identity"
"""An accepted row's identity through the PII policy (which may tokenise its key): a hash of key and file."""


def first_broken(verdicts: Sequence[tuple[Column, str]]) -> Column:
    """The name of the first rule whose condition is not true (false or null), else null."""
    if not verdicts:
        return lit(None).cast("string")
    return coalesce(*[when(~coalesce(condition, lit(False)), lit(name)) for condition, name in verdicts])


def type_rows(bronze: DataFrame, spec: TableSpec) -> DataFrame:
    """Declared columns cast to their types; ``_rule`` names a malformed record, bad encoding or bad type.

    A record Spark could not parse keeps its raw text in ``_corrupt_record``
    for quarantine (masked there like free text).

    Undeclared columns pass through as strings: the additive schema rule lets a
    new column in when the PII policy classifies it (files missing a declared
    column never get here; see ``spark_jobs.ingest.schema_break``).
    """
    raw = [name for name in bronze.columns if name not in (*METADATA_COLUMNS, CORRUPT_RECORD)]
    verdicts: list[tuple[Column, str]] = []
    if CORRUPT_RECORD in bronze.columns:
        verdicts.append((col(CORRUPT_RECORD).isNull(), "malformed_record: not valid JSON"))
    if raw:
        readable = " and ".join(f"coalesce(instr(`{name}`, '{REPLACEMENT_CHARACTER}') = 0, true)" for name in raw)
        verdicts.append((expr(readable), "encoding: not UTF-8"))
    typed: list[Column] = []
    for name, data_type in spec.columns:
        sql_type = data_type.simpleString()
        if name in raw:
            value = _amount(name, data_type) if isinstance(data_type, DecimalType) else _typed(name, sql_type)
            verdicts.append((col(f"`{name}`").isNull() | value.isNotNull(), _type_break(name, data_type)))
        else:
            value = lit(None).cast(data_type)
        typed.append(value.alias(name))
    extra = [col(f"`{name}`") for name in raw if name not in spec.column_names]
    corrupt = [col(CORRUPT_RECORD)] if CORRUPT_RECORD in bronze.columns else []
    return bronze.select(*typed, *extra, *METADATA_COLUMNS, *corrupt, first_broken(verdicts).alias(RULE))


FLOAT_NOISE = "1e-9"
"""How far from a whole cent a landed amount may be and still be that cent: the error of a binary float, not a price."""


def _typed(name: str, sql_type: str) -> Column:
    return expr(f"try_cast(`{name}` as {sql_type})")


def _amount(name: str, data_type: DecimalType) -> Column:
    """An exact decimal of the column's scale, or null when the landed value is not one.

    A feed that writes binary floats sends ``2.9899999999999998`` for 2.99 and
    ``1.776357e-15`` for 0.00: within :data:`FLOAT_NOISE` of a whole cent, it
    is that cent. ``1.234`` claims a precision money does not have and is a
    type break, not rounded away.
    """
    exact = f"try_cast(`{name}` as decimal(38, 18))"
    rounded = f"cast(round({exact}, {data_type.scale}) as {data_type.simpleString()})"
    return expr(f"if(abs({exact} - {rounded}) < {FLOAT_NOISE}, {rounded}, null)")


def _type_break(name: str, data_type: DataType) -> str:
    if isinstance(data_type, DecimalType):
        return f"type: {name} is not {data_type.simpleString()} (an amount with at most {data_type.scale} decimals)"
    return f"type: {name} is not {data_type.simpleString()}"


def with_week(frame: DataFrame, spec: TableSpec) -> DataFrame:
    """Weekly tables keyed by a date get the data's week number of that date."""
    if spec.week_from is None:
        return frame
    return frame.withColumn("week", expr(WEEK_OF_DATE.format(column=spec.week_from)))


def judge_text_length(frame: DataFrame, columns: Sequence[str], max_chars: int) -> DataFrame:
    """Free text over ``max_chars`` breaks ``text_too_long``: masking it would hold ingestion for hours."""
    verdicts = [
        (length(col(name)) <= max_chars, f"text_too_long: {name} over {max_chars:,} characters")
        for name in columns
        if name in frame.columns
    ]
    if not verdicts:
        return frame
    return frame.withColumn(RULE, coalesce(col(RULE), first_broken(verdicts)))


def judge_rows(frame: DataFrame, spec: TableSpec, known_keys: Mapping[str, DataFrame]) -> DataFrame:
    """Apply the row rules and cheap referential checks to rows not already rejected.

    ``known_keys`` maps a table of a checked reference to a one-column frame of
    its keys (broadcast: reference tables are small). Inferred references judge
    nothing: their unknown keys are kept.
    """
    verdicts: list[tuple[Column, str]] = [(expr(rule.holds), rule.name) for rule in spec.row_rules]
    for reference in spec.checked_references:
        flag = f"_known_{reference.column}"
        keys = known_keys[reference.table].select(col(reference.key).alias(reference.column)).distinct()
        frame = frame.join(broadcast(keys.withColumn(flag, lit(True))), on=reference.column, how="left")
        verdicts.append((col(flag), f"unknown_{reference.column}: not in silver {reference.table}"))
    judged = frame.withColumn(RULE, coalesce(col(RULE), first_broken(verdicts)))
    return judged.drop(*[f"_known_{reference.column}" for reference in spec.checked_references])


def payload_columns(frame: DataFrame) -> list[str]:
    """The columns a landing file delivered: everything but ingest metadata, the verdict and the raw record."""
    return [name for name in frame.columns if name not in (*METADATA_COLUMNS, RULE, CORRUPT_RECORD)]


def mark_duplicates(frame: DataFrame, spec: TableSpec) -> DataFrame:
    """Among accepted rows sharing a key, the preferred one stays; the others are quarantined.

    A loser that is an exact copy of the winner from another landing file is a
    re-delivery (``DUPLICATE_DELIVERY``), which judges no file; any other loser
    gets the table's duplicate rule. Only keys that occur more than once are
    ranked: finding them is an aggregation, and ranking a few thousand rows is
    far cheaper than sorting every row of a 20-million-row batch by key.
    """
    accepted = frame.where(col(RULE).isNull())
    repeated = accepted.groupBy(*spec.keys).count().where(col("count") > 1).drop("count")
    flagged = frame.join(broadcast(repeated.withColumn("_repeated", lit(True))), on=list(spec.keys), how="left")
    order = [expr(preference) for preference in spec.prefer] + [col("_ingested_at").desc(), col("_source_file").desc()]
    contest = Window.partitionBy(*spec.keys, col(RULE).isNull()).orderBy(*order)
    payload = sha2(to_json(struct(*[col(f"`{name}`") for name in payload_columns(frame)])), 256)
    contested = (
        flagged.where(col("_repeated"))
        .withColumn("_rank", row_number().over(contest))
        .withColumn("_payload", payload)
        .withColumn("_winner_payload", first("_payload").over(contest))
        .withColumn("_winner_file", first("_source_file").over(contest))
    )
    loser = col(RULE).isNull() & (col("_rank") > 1)
    copy = (col("_payload") == col("_winner_payload")) & (col("_source_file") != col("_winner_file"))
    verdict = when(loser & copy, lit(DUPLICATE_DELIVERY)).when(loser, lit(spec.duplicate_rule)).otherwise(col(RULE))
    resolved = contested.withColumn(RULE, verdict)
    uncontested = flagged.where(col("_repeated").isNull())
    helpers = ("_repeated", "_rank", "_payload", "_winner_payload", "_winner_file")
    return uncontested.drop("_repeated").unionByName(resolved.drop(*helpers))


def row_identity(keys: Sequence[str]) -> Column:
    """Names an accepted row across the policy: after :func:`mark_duplicates` no two accepted rows share a key."""
    return sha2(to_json(struct(*[col(f"`{name}`") for name in (*keys, "_source_file")])), 256)


def redelivered(rows: DataFrame, existing: DataFrame, keys: Sequence[str], compared: Sequence[str]) -> DataFrame:
    """The :data:`ROW_IDENTITY` of each of ``rows`` that ``existing`` already holds unchanged from another file.

    Both sides are after the PII policy, so tokens and masked text compare as
    silver stores them. A row from the same file is a corrected file's
    unchanged line, not a re-delivery.
    """
    columns = list(dict.fromkeys((*keys, *compared)))
    old = existing.select(
        *[col(f"`{name}`").alias(f"_old{name}") for name in columns], col("_source_file").alias("_old_source_file")
    )
    same = [col(f"`{name}`").eqNullSafe(col(f"`_old{name}`")) for name in columns]
    condition = reduce(and_, same, col("_source_file") != col("_old_source_file"))
    return rows.join(old, on=condition, how="left_semi").select(ROW_IDENTITY)


def mark_redelivered(judged: DataFrame, repeats: DataFrame) -> DataFrame:
    """``judged`` with each accepted row named in ``repeats`` quarantined as :data:`DUPLICATE_DELIVERY`."""
    flagged = judged.join(repeats.withColumn("_redelivered", lit(True)), on=ROW_IDENTITY, how="left")
    again = col("_redelivered") & col(RULE).isNull()
    return flagged.withColumn(RULE, when(again, lit(DUPLICATE_DELIVERY)).otherwise(col(RULE))).drop("_redelivered")
