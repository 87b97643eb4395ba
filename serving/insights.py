"""A retailer's figures read from the marts: bound parameters only, a short cache, and a breaker on the warehouse.

Every query filters on the calling retailer, bound as a parameter, so a token
never reaches another retailer's stores. The SQL text is fixed; filters that
are not given are bound as empty strings and match everything. Requests that
miss the cache for the same answer at the same time share one warehouse read,
so an expired entry under load costs one query, not one per waiting request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cachetools import TTLCache

from serving.breaker import CircuitBreaker
from serving.config import WarehouseTables
from serving.warehouse import Warehouse


@dataclass(frozen=True)
class WeekRange:
    first: int
    last: int


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class PagedRows:
    rows: list[dict[str, Any]]
    has_next: bool


def _category_performance_sql(table: str) -> str:
    return (
        "SELECT week, toString(week_start_date) AS week_start_date, department, product_category, "
        "sales_value, item_units, baskets, households, private_label_share, share_of_retailer_sales, "
        "basket_penetration, average_basket_value, sales_growth_vs_previous_week "
        f"FROM {table} "
        "WHERE retailer_id = {retailer:String} AND week BETWEEN {first:Int32} AND {last:Int32} "
        "AND ({department:String} = '' OR department = {department:String}) "
        "AND ({category:String} = '' OR product_category = {category:String}) "
        "ORDER BY week, department, product_category "
        "LIMIT {limit:UInt32} OFFSET {offset:UInt32}"
    )


def _promotion_effectiveness_sql(table: str) -> str:
    """Columns are qualified (``lift.``) where an answer's alias has the same name, so the alias never shadows them."""
    return (
        "SELECT lift.week AS week, toString(lift.week_start_date) AS week_start_date, "
        "toUInt8(lift.is_on_display) AS on_display, toUInt8(lift.is_in_mailer) AS in_mailer, "
        "count() AS promoted_product_stores, round(sum(lift.sales_value), 2) AS sales_value, "
        "round(sum(lift.baseline_sales_value), 2) AS baseline_sales_value, "
        "round(sum(lift.incremental_item_units), 2) AS incremental_item_units, "
        "round(sum(lift.sales_value) / nullIf(sum(lift.baseline_sales_value), 0), 4) AS sales_value_lift "
        f"FROM {table} AS lift "
        "WHERE lift.retailer_id = {retailer:String} AND lift.week BETWEEN {first:Int32} AND {last:Int32} "
        "GROUP BY week, week_start_date, on_display, in_mailer "
        "ORDER BY week, on_display, in_mailer "
        "LIMIT {limit:UInt32} OFFSET {offset:UInt32}"
    )


InsightQuery = Literal["category_performance", "promotion_effectiveness"]


class Insights:
    """The insight queries, each answer cached for a short while and every warehouse call behind the breaker."""

    def __init__(
        self, warehouse: Warehouse, tables: WarehouseTables, breaker: CircuitBreaker, cache_s: float, entries: int
    ) -> None:
        self._warehouse = warehouse
        self._breaker = breaker
        self._cache: TTLCache[tuple[Any, ...], PagedRows] = TTLCache(maxsize=entries, ttl=cache_s)
        self._reading: dict[tuple[Any, ...], asyncio.Task[PagedRows]] = {}
        self._queries: dict[InsightQuery, str] = {
            "category_performance": _category_performance_sql(tables.category_performance),
            "promotion_effectiveness": _promotion_effectiveness_sql(tables.promotion_lift),
        }

    @property
    def circuit_is_open(self) -> bool:
        return self._breaker.is_open

    async def category_performance(
        self, retailer: str, weeks: WeekRange, department: str, category: str, page: Page
    ) -> PagedRows:
        params = {"retailer": retailer, "department": department, "category": category}
        return await self._paged("category_performance", params, weeks, page)

    async def promotion_effectiveness(self, retailer: str, weeks: WeekRange, page: Page) -> PagedRows:
        return await self._paged("promotion_effectiveness", {"retailer": retailer}, weeks, page)

    async def _paged(
        self, query: InsightQuery, params: Mapping[str, object], weeks: WeekRange, page: Page
    ) -> PagedRows:
        """One page of the named query's rows; cached, and shared with a read of the same page under way."""
        bound = {**params, "first": weeks.first, "last": weeks.last, "limit": page.size + 1, "offset": page.offset}
        key = (query, *sorted(bound.items()))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.create_task(self._read(key, self._queries[query], bound, page.size))
            self._reading[key] = reading
            reading.add_done_callback(lambda done: self._read_ended(key, done))
        return await asyncio.shield(reading)

    async def _read(self, key: tuple[Any, ...], sql: str, bound: Mapping[str, object], size: int) -> PagedRows:
        rows = await self._breaker.call(lambda: self._warehouse.rows(sql, bound))
        answer = PagedRows(rows[:size], has_next=len(rows) > size)
        self._cache[key] = answer
        return answer

    def _read_ended(self, key: tuple[Any, ...], read: asyncio.Task[PagedRows]) -> None:
        """Forget the read; its failure is seen here too, so one whose callers all left is not reported unseen."""
        del self._reading[key]
        if not read.cancelled():
            read.exception()
