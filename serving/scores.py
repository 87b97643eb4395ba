"""The champions' scores held in memory, loaded from the warehouse and swapped whole when they change.

A request reads one snapshot reference, so it sees the old scores or the new,
never a mix, and a reload never blocks it. Only households in the tenants
table are loaded: they have marketing consent, are not erased, and belong to
one retailer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from serving.config import WarehouseTables
from serving.warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recommendation:
    rank: int
    product_id: int
    department: str | None
    product_category: str | None
    product_type: str | None
    brand_type: str | None
    source: str


@dataclass(frozen=True)
class Offer:
    campaign_id: int
    propensity: float


@dataclass(frozen=True)
class HouseholdScores:
    retailer_id: str
    recommendations: tuple[Recommendation, ...]
    offers: tuple[Offer, ...]


@dataclass(frozen=True)
class ScoreSnapshot:
    """Every servable household's scores, with the model versions that made them and the fingerprint they had."""

    fingerprint: dict[str, Any]
    recommendations_version: int | None
    offers_version: int | None
    households: dict[int, HouseholdScores]


def _fingerprint_sql(tables: WarehouseTables) -> str:
    """One row that changes whenever a score table is replaced or a household joins or leaves the tenants."""
    parts = []
    for name, table in (("recommendations", tables.recommendations), ("offers", tables.offers)):
        parts += [
            f"(SELECT count() FROM {table}) AS {name}_rows",
            f"(SELECT toString(max(scored_at)) FROM {table}) AS {name}_scored_at",
            f"(SELECT max(model_version) FROM {table}) AS {name}_version",
        ]
    parts += [
        f"(SELECT count() FROM {tables.tenants}) AS tenant_rows",
        f"(SELECT toString(sum(cityHash64(household_id, retailer_id))) FROM {tables.tenants}) AS tenant_hash",
    ]
    return "SELECT " + ", ".join(parts)


async def fingerprint(warehouse: Warehouse, tables: WarehouseTables) -> dict[str, Any]:
    [row] = await warehouse.rows(_fingerprint_sql(tables))
    return row


def _version(value: Any) -> int | None:
    return int(value) if value not in (None, 0, "0") else None


async def load_snapshot(warehouse: Warehouse, tables: WarehouseTables, found: dict[str, Any]) -> ScoreSnapshot:
    """Read the scores of every servable household, with the product attributes the answers carry.

    ``found`` is the fingerprint read just before: scores replaced during the
    load change it again, so the next refresh loads them.
    """
    recommended = await warehouse.rows(
        f"SELECT t.retailer_id AS retailer_id, r.household_id AS household_id, r.rank AS rank, "
        f"r.product_id AS product_id, nullIf(p.department, '') AS department, "
        f"nullIf(p.product_category, '') AS product_category, nullIf(p.product_type, '') AS product_type, "
        f"nullIf(p.brand_type, '') AS brand_type, r.source AS source "
        f"FROM {tables.recommendations} AS r "
        f"INNER JOIN {tables.tenants} AS t ON r.household_id = t.household_id "
        f"LEFT JOIN {tables.products} AS p ON r.product_id = p.product_id "
        f"ORDER BY household_id, rank"
    )
    offered = await warehouse.rows(
        f"SELECT t.retailer_id AS retailer_id, o.household_id AS household_id, o.campaign_id AS campaign_id, "
        f"o.propensity AS propensity "
        f"FROM {tables.offers} AS o INNER JOIN {tables.tenants} AS t ON o.household_id = t.household_id "
        f"ORDER BY household_id, propensity DESC, campaign_id"
    )
    households = await asyncio.to_thread(_households, recommended, offered)
    return ScoreSnapshot(
        found, _version(found["recommendations_version"]), _version(found["offers_version"]), households
    )


def _households(recommended: list[dict[str, Any]], offered: list[dict[str, Any]]) -> dict[int, HouseholdScores]:
    """Each household's scores, built in a thread: a large load must not hold the event loop."""
    retailer: dict[int, str] = {}
    recommendations: dict[int, list[Recommendation]] = {}
    offers: dict[int, list[Offer]] = {}
    for row in recommended:
        household = int(row["household_id"])
        retailer[household] = row["retailer_id"]
        recommendations.setdefault(household, []).append(
            Recommendation(
                rank=int(row["rank"]),
                product_id=int(row["product_id"]),
                department=row["department"],
                product_category=row["product_category"],
                product_type=row["product_type"],
                brand_type=row["brand_type"],
                source=row["source"],
            )
        )
    for row in offered:
        household = int(row["household_id"])
        retailer[household] = row["retailer_id"]
        offers.setdefault(household, []).append(Offer(int(row["campaign_id"]), float(row["propensity"])))
    return {
        household: HouseholdScores(owner, tuple(recommendations.get(household, ())), tuple(offers.get(household, ())))
        for household, owner in retailer.items()
    }


class ScoreStore:
    """The current snapshot, replaced by :meth:`refresh` when the warehouse's scores changed."""

    def __init__(self, warehouse: Warehouse, tables: WarehouseTables) -> None:
        self._warehouse = warehouse
        self._tables = tables
        self.snapshot: ScoreSnapshot | None = None

    async def refresh(self) -> bool:
        """Load the scores when they changed since the last load; True when a new snapshot was swapped in."""
        current = self.snapshot
        found = await fingerprint(self._warehouse, self._tables)
        if current is not None and found == current.fingerprint:
            return False
        loaded = await load_snapshot(self._warehouse, self._tables, found)
        self.snapshot = loaded
        logger.info(
            "scores loaded: %d households, recommender version %s, offer model version %s",
            len(loaded.households),
            loaded.recommendations_version,
            loaded.offers_version,
        )
        return True
