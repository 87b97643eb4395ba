"""The tables the models' scores land in, declared once: the gold Delta table in the lake and its warehouse copy.

Both hold only households with marketing consent that are not erased, keyed by
silver's pseudonymous ``household_id``, with the registered model version that
scored them and when. Erasure deletes from both (the lake's gold zone and the
warehouse's household tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from ml.jobs import Model

WAREHOUSE_DATABASE = "ml"
PROVENANCE = (pa.field("model_version", pa.int32()), pa.field("scored_at", pa.timestamp("ms", tz="UTC")))
CLICKHOUSE_TYPES = {
    pa.int16(): "Int16",
    pa.int32(): "Int32",
    pa.int64(): "Int64",
    pa.float64(): "Float64",
    pa.string(): "LowCardinality(String)",
    pa.timestamp("ms", tz="UTC"): "DateTime64(3, 'UTC')",
}


@dataclass(frozen=True)
class ScoreTable:
    name: str
    schema: pa.Schema
    order_by: tuple[str, ...]

    @property
    def warehouse_name(self) -> str:
        return f"{WAREHOUSE_DATABASE}.{self.name}"

    def columns_sql(self) -> str:
        return ", ".join(f"`{field.name}` {CLICKHOUSE_TYPES[field.type]}" for field in self.schema)


SCORE_TABLES: Mapping[Model, ScoreTable] = {
    "recommend": ScoreTable(
        "household_recommendations",
        pa.schema(
            [
                ("household_id", pa.int64()),
                ("rank", pa.int16()),
                ("product_id", pa.int64()),
                ("source", pa.string()),
                *PROVENANCE,
            ]
        ),
        ("household_id", "rank"),
    ),
    "offer_response": ScoreTable(
        "offer_propensity",
        pa.schema(
            [("household_id", pa.int64()), ("campaign_id", pa.int64()), ("propensity", pa.float64()), *PROVENANCE]
        ),
        ("household_id", "campaign_id"),
    ),
}
