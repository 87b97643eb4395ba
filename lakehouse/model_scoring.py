"""Batch scoring with each model's champion, into the lake's gold zone and the warehouse's ``ml`` database.

Only the champion scores: a challenger never does, and with no champion the
command fails saying so. The households scored are those a model may use now
(marketing consent, not erased): the recommender gives each its top ten
products (a household the model was not fitted on gets the most bought ones,
marked ``popularity``), the offer model gives every targeted (household,
campaign) its redemption propensity. Each run replaces the whole table: the
gold Delta table is overwritten (its history is VACUUMed with the lake's
retention), and the warehouse table is loaded beside the old one and swapped
in, so a reader sees the old scores or the new, never half.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import write_deltalake

from governance.delta_read import delta_rs_uri
from lakehouse.ingest import lake_layout
from lakehouse.ml_datasets import eligible_households, extract_dataset
from lakehouse.model_promotion import NoChampionError, registered_name
from lakehouse.model_registry import champion, unpacked_model
from lakehouse.progress import stage
from lakehouse.score_tables import SCORE_TABLES, WAREHOUSE_DATABASE, ScoreTable
from lakehouse.settings import Settings
from lakehouse.warehouse import admin_client
from ml.jobs import Model
from ml.scoring import offer_propensities, top_products
from ml.training import offer_response
from ml.training.offer_features import OfferTables

logger = logging.getLogger(__name__)

RECOMMENDATIONS = 10


@dataclass(frozen=True)
class Scored:
    model: Model
    version: int
    rows: int
    households: int
    gold_uri: str
    warehouse_table: str
    scored_at: datetime


def _recommendations(settings: Settings, model_dir: Path) -> pa.Table:
    households = eligible_households(settings).to_numpy()
    return top_products(model_dir, households, RECOMMENDATIONS)


def _propensities(settings: Settings, model_dir: Path) -> pa.Table:
    dataset = extract_dataset(settings, "offer_response")
    frames = {
        name: pq.read_table(dataset.channels[name], columns=list(columns)).to_pandas()
        for name, columns in offer_response.CHANNELS.items()
    }
    return offer_propensities(model_dir, OfferTables(**frames))


def _with_provenance(rows: pa.Table, table: ScoreTable, version: int, scored_at: datetime) -> pa.Table:
    stamped = rows.append_column("model_version", pa.array([version] * rows.num_rows, pa.int32()))
    stamped = stamped.append_column("scored_at", pa.array([scored_at] * rows.num_rows, pa.timestamp("ms", tz="UTC")))
    return stamped.select(table.schema.names).cast(table.schema)


def _to_gold(settings: Settings, table: ScoreTable, rows: pa.Table) -> str:
    layout = lake_layout(settings)
    uri = delta_rs_uri(layout.gold(table.name))
    options = dict(layout.storage_options) or None
    write_deltalake(uri, rows, mode="overwrite", schema_mode="overwrite", storage_options=options)
    return uri


def _to_warehouse(settings: Settings, table: ScoreTable, rows: pa.Table) -> None:
    """Load beside the current table, then swap the two in one step and drop the old."""
    admin = admin_client(settings)
    loading = f"{table.warehouse_name}__loading"
    admin.command(f"CREATE DATABASE IF NOT EXISTS {WAREHOUSE_DATABASE}")
    admin.command(f"DROP TABLE IF EXISTS {loading}")
    admin.command(
        f"CREATE TABLE {loading} ({table.columns_sql()}) ENGINE = MergeTree ORDER BY ({', '.join(table.order_by)})"
    )
    admin.insert_arrow(loading, rows)
    admin.command(f"CREATE TABLE IF NOT EXISTS {table.warehouse_name} AS {loading}")
    admin.command(f"EXCHANGE TABLES {loading} AND {table.warehouse_name}")
    admin.command(f"DROP TABLE {loading}")


SCORERS = {"recommend": _recommendations, "offer_response": _propensities}


def score_model(settings: Settings, model: Model) -> Scored:
    """Score every eligible household with ``model``'s champion into gold and the warehouse."""
    current = champion(settings, model)
    if current is None:
        raise NoChampionError(
            f"{registered_name(model)} has no champion: no version has beaten its baselines yet "
            "(`lakehouse models list` says why); challengers never score"
        )
    table = SCORE_TABLES[model]
    with stage(f"scoring with {registered_name(model)} version {current.version} (champion)") as report:
        scored_at = datetime.now(UTC)
        rows = _with_provenance(
            SCORERS[model](settings, unpacked_model(settings, current)), table, current.version, scored_at
        )
        households = len(pc.unique(rows["household_id"]))
        report.add(rows=rows.num_rows)
        gold_uri = _to_gold(settings, table, rows)
        _to_warehouse(settings, table, rows)
        report.notes.append(f"{households} households; {gold_uri}; warehouse {table.warehouse_name}")
    logger.debug("%s scored by version %d: %d rows", table.name, current.version, rows.num_rows)
    return Scored(model, current.version, rows.num_rows, households, gold_uri, table.warehouse_name, scored_at)
