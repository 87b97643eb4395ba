"""A retailer's category performance and promotion effectiveness, read from the marts."""

import logging
from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from serving.access import CURRENT_REQUEST_ID
from serving.api.deps import AppServices, page_of, tenant_retailer, week_range
from serving.breaker import CircuitOpenError
from serving.insights import Page, PagedRows, WeekRange
from serving.limits import retry_after
from serving.schemas import (
    AUTH_AND_RATE_ERRORS,
    CategoryPerformance,
    CategoryWeek,
    PromotionEffectiveness,
    PromotionWeek,
    problems,
)
from serving.warehouse import WarehouseError, WarehouseUnavailableError

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/retailers", tags=["insights"])

ERRORS = problems(
    {
        **AUTH_AND_RATE_ERRORS,
        403: "The token lacks the insights:read scope.",
        404: "Not the token's retailer (another's looks the same as none).",
        500: "The warehouse rejected the query: a fault on the platform's side, logged with the request id.",
        503: "The warehouse is unavailable; see Retry-After.",
    }
)
Retailer = Annotated[str, Depends(tenant_retailer)]
Weeks = Annotated[WeekRange, Depends(week_range)]
Paging = Annotated[Page, Depends(page_of)]
Filter = Annotated[str, Query(max_length=64)]


async def _read(services: AppServices, query: Awaitable[PagedRows]) -> PagedRows:
    """The rows; 503 with Retry-After while the warehouse is unavailable, 500 when it rejects the query itself."""
    try:
        return await query
    except CircuitOpenError as error:
        wait_s = error.retry_after_s
    except WarehouseUnavailableError as error:
        logger.warning("request %s: insight query failed: %s", CURRENT_REQUEST_ID.get(), error)
        wait_s = services.config.breaker_reset_s
    except WarehouseError as error:
        logger.error("request %s: insight query rejected: %s", CURRENT_REQUEST_ID.get(), error)
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, "the insight query failed on the server") from None
    raise HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "the warehouse is unavailable",
        headers={"Retry-After": retry_after(wait_s)},
    )


def _next_page(page: Page, found: PagedRows) -> int | None:
    return page.number + 1 if found.has_next else None


@router.get("/{retailer_id}/category-performance", responses=ERRORS, summary="Category performance by week")
async def category_performance(
    services: AppServices,
    retailer_id: Retailer,
    weeks: Weeks,
    page: Paging,
    department: Annotated[Filter, Query(description="Only this department.", examples=["GROCERY"])] = "",
    category: Annotated[Filter, Query(description="Only this product category.", examples=["SOFT DRINKS"])] = "",
) -> CategoryPerformance:
    """Sales, baskets, penetration, shares and growth of each department and category in the retailer's stores."""
    found = await _read(
        services, services.insights.category_performance(retailer_id, weeks, department, category, page)
    )
    return CategoryPerformance(
        retailer_id=retailer_id,
        page=page.number,
        page_size=page.size,
        next_page=_next_page(page, found),
        rows=[CategoryWeek.model_validate(row) for row in found.rows],
    )


@router.get("/{retailer_id}/promotion-effectiveness", responses=ERRORS, summary="Promotion lift by week")
async def promotion_effectiveness(
    services: AppServices, retailer_id: Retailer, weeks: Weeks, page: Paging
) -> PromotionEffectiveness:
    """Per week and kind of promotion (display, mailer), promoted sales against their no-promotion baseline."""
    found = await _read(services, services.insights.promotion_effectiveness(retailer_id, weeks, page))
    return PromotionEffectiveness(
        retailer_id=retailer_id,
        page=page.number,
        page_size=page.size,
        next_page=_next_page(page, found),
        rows=[PromotionWeek.model_validate(row) for row in found.rows],
    )
